package directory

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/switchboard-oss/switchboard/internal/validation"
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
// number, and the other rows are still imported.
//
// Rows are written in chunks of store.ImportChunkSize, each in its own
// transaction, so memory stays flat for files of any size. When reading or
// writing fails midway, the chunks before stay written and the returned
// report counts them.
func (s *Service) ImportCSV(ctx context.Context, workspaceID, phonebookID string, r io.Reader) (ImportReport, error) {
	region, err := s.region(ctx, workspaceID)
	if err != nil {
		return ImportReport{}, err
	}
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
		store:       s.store,
		workspaceID: workspaceID,
		phonebookID: phonebookID,
		region:      region,
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
	store       *store.Store
	workspaceID string
	phonebookID string
	region      string
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
	c, err := normalizeContact(row.input, im.region, im.phonebookID)
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
	counts, err := im.store.ImportContacts(ctx, im.workspaceID, im.phonebookID, im.chunk)
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
