package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// result is one row of the results table.
type result struct {
	store     string
	benchmark string
	count     int
	elapsed   time.Duration
	rate      float64
	unit      string
	latency   *latencyStats // nil when the benchmark has no per-request latency
	target    string        // empty when the benchmark has none
	met       string
	note      string
}

// latencyStats are percentiles by the nearest-rank method.
type latencyStats struct {
	p50, p90, p99, max time.Duration
}

func summarize(samples []time.Duration) latencyStats {
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	rank := func(p float64) time.Duration {
		i := int(float64(len(sorted))*p+0.999999) - 1
		return sorted[min(max(i, 0), len(sorted)-1)]
	}
	return latencyStats{p50: rank(0.50), p90: rank(0.90), p99: rank(0.99), max: sorted[len(sorted)-1]}
}

// formatLatency writes d in milliseconds with three significant decimals
// for sub-millisecond values.
func formatLatency(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 10 {
		return strconv.FormatFloat(ms, 'f', 3, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
}

func metText(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// progress writes one line about stage progress to stderr.
func progress(store, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s [%s] %s\n", time.Now().Format("15:04:05"), store, fmt.Sprintf(format, args...))
}

// writeReport writes the machine, the command and the results table in
// Markdown.
func writeReport(out io.Writer, command string, versions []string, loadBefore string, results []result) {
	fmt.Fprintf(out, "## Results\n\n")
	fmt.Fprintf(out, "Command: `%s`\n\n", command)
	fmt.Fprintf(out, "Machine: %s\n\n", machine())
	fmt.Fprintf(out, "Load average (1, 5, 15 min) before the run: %s; after: %s\n\n", loadBefore, loadAverage())
	fmt.Fprintf(out, "Databases: %s\n\n", strings.Join(versions, "; "))

	fmt.Fprintln(out, "| Store | Benchmark | Count | Time | Throughput | p50 | p90 | p99 | max | Target | Met |")
	fmt.Fprintln(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
	for _, r := range results {
		p50, p90, p99, maxLat := "", "", "", ""
		if r.latency != nil {
			p50, p90, p99, maxLat = formatLatency(r.latency.p50), formatLatency(r.latency.p90), formatLatency(r.latency.p99), formatLatency(r.latency.max)
		}
		name := r.benchmark
		if r.note != "" {
			name += " (" + r.note + ")"
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s %s | %s | %s | %s | %s | %s | %s |\n",
			r.store, name, groupThousands(r.count), formatElapsed(r.elapsed),
			groupThousands(int(r.rate+0.5)), r.unit, p50, p90, p99, maxLat, dash(r.target), dash(r.met))
	}
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func formatElapsed(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

// groupThousands writes n with commas between groups of three digits.
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// machine describes the CPU, memory, Go version and operating system.
func machine() string {
	cpu := procField("/proc/cpuinfo", "model name")
	if cpu == "" {
		cpu = "unknown CPU"
	}
	mem := "unknown memory"
	if kb, err := strconv.Atoi(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB")); err == nil {
		mem = fmt.Sprintf("%.1f GiB memory", float64(kb)/(1<<20))
	}
	osName := osRelease()
	if kernel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		osName += ", Linux " + strings.TrimSpace(string(kernel))
	}
	return fmt.Sprintf("%s, %d cores (runtime.NumCPU), %s, %s, %s %s/%s",
		cpu, runtime.NumCPU(), mem, runtime.Version(), osName, runtime.GOOS, runtime.GOARCH)
}

// procField returns the value of the first "key: value" line with key in
// a /proc file, or "" when there is none.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage returns the 1, 5 and 15 minute load averages, which show
// whether other work shared the machine during the run.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], " ")
}

func osRelease() string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "unknown OS"
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "unknown OS"
}
