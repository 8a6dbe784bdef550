package jobs

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/store"
)

// Environment of the crashing child process.
const (
	crashChildEnv       = "SWITCHBOARD_JOBS_CRASH_CHILD"
	crashDatabaseURLEnv = "SWITCHBOARD_JOBS_CRASH_DATABASE_URL"
	crashDataDirEnv     = "SWITCHBOARD_JOBS_CRASH_DATA_DIR"
)

// TestCrashedInstanceLosesNoJob kills a gateway process with SIGKILL while
// it works a job, then starts another instance on the same database: River
// rescues the job left running and the new instance completes it.
//
// The child process is this test binary running TestCrashChild. The new
// instance can lead and rescue only once the child's leader lease of 15
// seconds lapses, so the test takes about 20 seconds per database.
func TestCrashedInstanceLosesNoJob(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process and waits for River's leader lease to lapse")
	}
	eachDialect(t, func(t *testing.T, h harness) {
		runs := &runLog{}
		q := h.newQueue(t, h.store, queueOptions{
			workers: workersDoing(recordingWork(runs)),
			tune: func(c *river.Config) {
				c.JobTimeout = 500 * time.Millisecond
				c.RescueStuckJobsAfter = time.Second
			},
		})
		h.insert(t, q, testArgs{Label: "interrupted"}, nil)

		child, exited := startCrashChild(t, h.opts)
		require.Eventually(t, func() bool {
			select {
			case <-exited:
				require.FailNow(t, "the child process exited before it took the job; its output is above")
			default:
			}
			return h.jobByLabel(t, q, "interrupted").State == rivertype.JobStateRunning
		}, waitLimit, 20*time.Millisecond, "the child process never took the job")
		require.NoError(t, child.Process.Kill())
		<-exited

		h.start(t, q)
		job := h.waitForState(t, q, "interrupted", rivertype.JobStateCompleted)

		require.Equal(t, []string{"interrupted"}, runs.list(), "the new instance ran the job")
		require.Equal(t, 2, job.Attempt, "attempt 1 died with the child, attempt 2 completed")
		require.Len(t, job.Errors, 1, "the rescue records the lost attempt")
	})
}

// startCrashChild starts TestCrashChild in a child process on the database
// of opts, killed when the test ends if it still runs. The channel is closed
// when the process has exited.
func startCrashChild(t *testing.T, opts store.Options) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		crashChildEnv+"=1",
		crashDatabaseURLEnv+"="+opts.DatabaseURL,
		crashDataDirEnv+"="+opts.DataDir,
	)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	return cmd, exited
}

// TestCrashChild is the process TestCrashedInstanceLosesNoJob kills. It
// works test jobs by blocking forever, ignoring cancellation, as a process
// stuck mid-job would.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) != "1" {
		t.Skip("runs only as the child process of TestCrashedInstanceLosesNoJob")
	}
	ctx := context.Background()
	opts := store.Options{DatabaseURL: os.Getenv(crashDatabaseURLEnv), DataDir: os.Getenv(crashDataDirEnv)}
	st, err := store.Open(ctx, opts)
	require.NoError(t, err)

	q, err := New(Config{
		Store:     st,
		ListenURL: opts.DatabaseURL,
		Workers: workersDoing(func(context.Context, *river.Job[testArgs]) error {
			select {}
		}),
		tune: func(c *river.Config) {
			c.TestOnly = true
			c.FetchCooldown = 10 * time.Millisecond
			c.FetchPollInterval = 50 * time.Millisecond
		},
	})
	require.NoError(t, err)
	require.NoError(t, q.Start(ctx))

	time.Sleep(waitLimit)
	t.Fatal("the parent test did not kill this process")
}
