package jobs

import (
	"context"

	"github.com/riverqueue/river"
)

// noopArgs is a job that does nothing. Its worker is registered when
// Config.Workers is nil, because River's Client.Start fails on a bundle
// with no worker.
type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }
