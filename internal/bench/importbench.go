package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboard-oss/switchboard/crm/directory"
)

// importTarget is the rate the CSV import should reach on PostgreSQL.
const importTarget = 50_000

// benchImports imports a generated CSV file of rows contacts twice into
// empty phonebooks of a workspace of its own, so the seeded directory
// stays as it is: once by calling directory.Service.ImportCSV, the code
// behind the HTTP endpoint and the CLI, and once through
// POST /v1/phonebooks/{id}/contacts/import.
func benchImports(ctx context.Context, t *target, rows int) ([]result, error) {
	progress(t.name, "import: generating a CSV file of %d rows", rows)
	file, err := importCSV(rows)
	if err != nil {
		return nil, fmt.Errorf("generate CSV: %w", err)
	}
	w, err := t.newWorkspace(ctx, "bench import")
	if err != nil {
		return nil, err
	}

	progress(t.name, "import: directory.ImportCSV of %d rows (%.1f MB)", rows, float64(len(file))/1e6)
	start := time.Now()
	report, err := t.directory.ImportCSV(ctx, w.id, w.phonebookID, bytes.NewReader(file))
	elapsed := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("import CSV: %w", err)
	}
	if err := checkImport(report, rows); err != nil {
		return nil, err
	}
	direct := importResult(t, "CSV import, directory.ImportCSV", rows, elapsed)
	progress(t.name, "import: %.0f rows/s", direct.rate)

	pbID, err := t.newPhonebook(ctx, w, "bench import over HTTP")
	if err != nil {
		return nil, err
	}
	progress(t.name, "import: POST /v1/phonebooks/{id}/contacts/import of %d rows", rows)
	start = time.Now()
	body, err := t.do(ctx, w, "POST", "/v1/phonebooks/"+pbID+"/contacts/import", "text/csv", bytes.NewReader(file))
	elapsed = time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("import CSV over HTTP: %w", err)
	}
	var overHTTP directory.ImportReport
	if err := json.Unmarshal(body, &overHTTP); err != nil {
		return nil, fmt.Errorf("decode import report: %w", err)
	}
	if err := checkImport(overHTTP, rows); err != nil {
		return nil, err
	}
	viaHTTP := importResult(t, "CSV import, HTTP text/csv", rows, elapsed)
	progress(t.name, "import: %.0f rows/s over HTTP", viaHTTP.rate)

	return []result{direct, viaHTTP}, nil
}

func checkImport(r directory.ImportReport, rows int) error {
	if r.Rows != rows || r.Created != rows || r.Failed != 0 {
		return fmt.Errorf("import report: expected %d rows all created, got rows=%d created=%d updated=%d unchanged=%d failed=%d (first errors: %+v)",
			rows, r.Rows, r.Created, r.Updated, r.Unchanged, r.Failed, r.Errors[:min(3, len(r.Errors))])
	}
	return nil
}

func importResult(t *target, name string, rows int, elapsed time.Duration) result {
	r := result{
		benchmark: name,
		count:     rows,
		elapsed:   elapsed,
		rate:      float64(rows) / elapsed.Seconds(),
		unit:      "rows/s",
	}
	if t.name == "postgres" {
		r.target = "≥ " + groupThousands(importTarget) + " rows/s"
		r.met = metText(r.rate >= importTarget)
	}
	return r
}
