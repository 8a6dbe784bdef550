package directory

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
)

// ErrInvalidCSV is wrapped by errors about a CSV file as a whole, such as a
// missing header row or an unknown column. Errors of single rows are
// listed in the ImportReport instead.
var ErrInvalidCSV = errors.New("invalid CSV")

// MaxReportedErrors caps ImportReport.Errors, so a file of a million bad
// rows does not build a report of a million entries. Failed still counts
// every bad row.
const MaxReportedErrors = 1000

// ImportReport is the outcome of ImportCSV.
type ImportReport struct {
	// Rows counts the data rows read, bad ones included and rows whose
	// cells are all empty excluded.
	Rows      int `json:"rows"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
	// Errors lists the bad rows in file order, at most MaxReportedErrors.
	Errors []RowError `json:"errors"`
}

// RowError is a CSV row that was not imported, with the reasons.
type RowError struct {
	// Row is the number of the data row, 1 for the row after the header.
	Row int `json:"row"`
	// Line is the line of the file the row starts on, 1 for the header.
	Line          int                     `json:"line"`
	ExternalID    *string                 `json:"external_id"`
	InvalidParams []validation.FieldError `json:"invalid_params"`
}

// ImportCSV reads contacts from CSV text and writes them into the
// phonebook. The first row must be a header naming the columns, and
// csvColumnHelp lists the accepted names. An unknown column is an error
// wrapping ErrInvalidCSV, returned before anything is written. A row with
// an external_id creates or updates the contact with that external_id, so
// importing a file twice leaves the contacts unchanged. A row without one
// always creates a contact. A bad row is reported with its row and line
// number, and the other rows are still imported. Cells of extra_data
// columns are text, so those of number, integer and boolean custom fields
// are converted to that type ("42" to 42) before they are checked.
//
// With WithEvents, each chunk records a contact.created or contact.updated
// event per contact it created or changed, in the chunk's transaction.
//
// Rows are written in chunks of store.ImportChunkSize, each in its own
// transaction, so memory stays flat for files of any size. When reading or
// writing fails midway, the chunks before stay written and the returned
// report counts them.
func (s *Service) ImportCSV(ctx context.Context, workspaceID, phonebookID string, r io.Reader) (ImportReport, error) {
	rules, err := s.rules(ctx, workspaceID)
	if err != nil {
		return ImportReport{}, err
	}
	rules.coerceText = true
	if _, err := s.store.GetPhonebook(ctx, workspaceID, phonebookID); err != nil {
		return ImportReport{}, err
	}

	reader := csv.NewReader(r)
	reader.FieldsPerRecord = -1
	columns, err := readHeader(reader)
	if err != nil {
		return ImportReport{}, err
	}

	im := &importer{
		service:     s,
		workspaceID: workspaceID,
		phonebookID: phonebookID,
		rules:       rules,
		columns:     columns,
		report:      ImportReport{Errors: []RowError{}},
		inChunk:     map[string]bool{},
	}
	if err := im.readRows(ctx, reader); err != nil {
		return im.report, err
	}
	if im.report.Created >= analyzeAfterRows {
		s.store.AnalyzeContacts(ctx)
	}
	return im.report, nil
}

// analyzeAfterRows is the number of new contacts after which an import
// refreshes the planner's statistics, so listings right after a large first
// import use the indexes instead of sorting the whole workspace.
const analyzeAfterRows = 10000

func readHeader(reader *csv.Reader) ([]csvColumn, error) {
	header, err := reader.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: the file is empty; the first line must be a header row naming the columns", ErrInvalidCSV)
	}
	var parseErr *csv.ParseError
	if errors.As(err, &parseErr) {
		return nil, fmt.Errorf("%w: the header row cannot be read: %w", ErrInvalidCSV, parseErr.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("read CSV header: %w", err)
	}
	return parseHeader(header)
}

// importer carries one ImportCSV run: the chunk being filled and the
// report so far.
type importer struct {
	service     *Service
	workspaceID string
	phonebookID string
	rules       contactRules
	columns     []csvColumn

	report  ImportReport
	chunk   []store.Contact
	inChunk map[string]bool // external ids in chunk
}

func (im *importer) readRows(ctx context.Context, reader *csv.Reader) error {
	for rowNumber := 1; ; rowNumber++ {
		record, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			im.report.Rows++
			im.fail(RowError{Row: rowNumber, Line: parseErr.StartLine, InvalidParams: []validation.FieldError{
				{Field: "row", Reason: fmt.Sprintf("is not valid CSV: %v at line %d, column %d", parseErr.Err, parseErr.Line, parseErr.Column)},
			}})
			continue
		}
		if err != nil {
			return fmt.Errorf("read CSV row %d: %w", rowNumber, err)
		}

		line, _ := reader.FieldPos(0)
		if err := im.addRow(ctx, record, rowNumber, line); err != nil {
			return err
		}
	}
	return im.flush(ctx)
}

func (im *importer) addRow(ctx context.Context, record []string, rowNumber, line int) error {
	if isBlankRecord(record) {
		return nil
	}
	im.report.Rows++
	if len(record) != len(im.columns) {
		im.fail(RowError{Row: rowNumber, Line: line, InvalidParams: []validation.FieldError{
			{Field: "row", Reason: fmt.Sprintf("has %d fields, but the header has %d", len(record), len(im.columns))},
		}})
		return nil
	}

	row := rowInput(im.columns, record)
	c, err := normalizeContact(row.input, im.rules, im.phonebookID)
	var verr *validation.Error
	if errors.As(err, &verr) {
		im.fail(RowError{Row: rowNumber, Line: line, ExternalID: nonEmpty(row.input.ExternalID), InvalidParams: row.columnErrors(verr)})
		return nil
	}
	if err != nil {
		return err
	}
	return im.add(ctx, c)
}

// add queues c for writing. A repeated external_id first writes the chunk
// holding the earlier row, so the later row updates that contact, as it
// would in a later chunk.
func (im *importer) add(ctx context.Context, c store.Contact) error {
	if c.ExternalID != nil && im.inChunk[*c.ExternalID] {
		if err := im.flush(ctx); err != nil {
			return err
		}
	}
	c.WorkspaceID = im.workspaceID
	im.chunk = append(im.chunk, c)
	if c.ExternalID != nil {
		im.inChunk[*c.ExternalID] = true
	}
	if len(im.chunk) >= store.ImportChunkSize {
		return im.flush(ctx)
	}
	return nil
}

func (im *importer) flush(ctx context.Context) error {
	if len(im.chunk) == 0 {
		return nil
	}
	counts, err := im.service.importChunk(ctx, im.workspaceID, im.phonebookID, im.chunk)
	if err != nil {
		return fmt.Errorf("write %d imported contacts: %w", len(im.chunk), err)
	}

	im.report.Created += counts.Created
	im.report.Updated += counts.Updated
	im.report.Unchanged += counts.Unchanged
	im.chunk = im.chunk[:0]
	clear(im.inChunk)
	return nil
}

// importChunk writes one chunk of rows and records the events of the
// contacts it created and changed, in one transaction.
func (s *Service) importChunk(ctx context.Context, workspaceID, phonebookID string, chunk []store.Contact) (store.ImportCounts, error) {
	var counts store.ImportCounts
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var results []store.UpsertResult
		var err error
		if counts, results, err = q.ImportContactResults(ctx, workspaceID, phonebookID, chunk); err != nil {
			return err
		}
		return s.emitUpserts(ctx, q, workspaceID, results)
	})
	return counts, err
}

// emitUpserts records a contact.created event per created contact of
// results and a contact.updated event per updated one, reading the
// contacts back with one query per event type, and only when some
// subscription receives that type.
func (s *Service) emitUpserts(ctx context.Context, q *store.Queries, workspaceID string, results []store.UpsertResult) error {
	if s.events == nil {
		return nil
	}
	for _, t := range []webhooks.EventType{webhooks.ContactCreated, webhooks.ContactUpdated} {
		status := store.UpsertCreated
		if t == webhooks.ContactUpdated {
			status = store.UpsertUpdated
		}
		var ids []string
		for _, r := range results {
			if r.Status == status {
				ids = append(ids, r.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		load := func() ([]any, error) { return loadContacts(ctx, q, workspaceID, ids) }
		if err := s.events.EmitBatch(ctx, q, workspaceID, t, load); err != nil {
			return err
		}
	}
	return nil
}

// loadContacts reads the contacts ids, in the order of ids.
func loadContacts(ctx context.Context, q *store.Queries, workspaceID string, ids []string) ([]any, error) {
	byID, err := q.GetContactsByIDs(ctx, workspaceID, ids)
	if err != nil {
		return nil, err
	}
	objects := make([]any, 0, len(ids))
	for _, id := range ids {
		if c, ok := byID[id]; ok {
			objects = append(objects, c)
		}
	}
	return objects, nil
}

func (im *importer) fail(e RowError) {
	im.report.Failed++
	if len(im.report.Errors) < MaxReportedErrors {
		im.report.Errors = append(im.report.Errors, e)
	}
}

func isBlankRecord(record []string) bool {
	for _, cell := range record {
		if strings.TrimSpace(cell) != "" {
			return false
		}
	}
	return true
}

func nonEmpty(s string) *string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return &s
}
