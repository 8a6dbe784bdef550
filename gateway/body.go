package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/internal/validation"
)

// listResponse is the envelope of every list. NextCursor and NextURL are
// set when more items follow.
type listResponse[T any] struct {
	Data       []T    `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor,omitempty"`
	NextURL    string `json:"next_url,omitempty"`
}

// readBody returns the raw request body after checking its media type is
// one of mediaTypes and its size is at most limit bytes.
func (s *Server) readBody(c echo.Context, limit int64, mediaTypes ...string) ([]byte, error) {
	if err := checkMediaType(c.Request(), mediaTypes); err != nil {
		return nil, err
	}
	return readLimited(c, limit)
}

// checkMediaType returns a 415 problem unless the request's Content-Type
// is one of mediaTypes.
func checkMediaType(req *http.Request, mediaTypes []string) error {
	mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err == nil && acceptsMediaType(mt, mediaTypes) {
		return nil
	}
	got := req.Header.Get(echo.HeaderContentType)
	if got == "" {
		got = "none"
	}
	return newProblem(probMediaType, "Content-Type is %s; this endpoint accepts %s.", got, strings.Join(mediaTypes, " or "))
}

// readLimited reads the request body, which must be at most limit bytes.
func readLimited(c echo.Context, limit int64) ([]byte, error) {
	req := c.Request()
	if req.ContentLength > limit {
		return nil, newProblem(probTooLarge, "The body is %s; the limit is %s.", byteSize(req.ContentLength), byteSize(limit))
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, newProblem(probTooLarge, "The body is over the limit of %s.", byteSize(limit))
	}
	if err != nil {
		return nil, newProblem(probMalformed, "The body could not be read: %v.", err)
	}
	return body, nil
}

func acceptsMediaType(mt string, accepted []string) bool {
	for _, a := range accepted {
		if mt == a {
			return true
		}
		// application/merge-patch+json and the like are JSON too.
		if a == echo.MIMEApplicationJSON && strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json") {
			return true
		}
	}
	return false
}

// decodeJSON reads a JSON body into dst strictly: one value, no unknown
// fields, types as declared.
func (s *Server) decodeJSON(c echo.Context, dst any) error {
	body, err := s.readBody(c, s.cfg.MaxBodyBytes, echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	return decodeStrict(body, dst)
}

// decodeOptionalJSON decodes a JSON body into dst like decodeJSON, but
// accepts an empty body with any Content-Type or none, and then leaves
// dst as it is. The body's length need not be declared, so a chunked
// request without data counts as empty too.
func (s *Server) decodeOptionalJSON(c echo.Context, dst any) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	body, err := readLimited(c, s.cfg.MaxBodyBytes)
	if err != nil || len(body) == 0 {
		return err
	}
	if err := checkMediaType(c.Request(), []string{echo.MIMEApplicationJSON}); err != nil {
		return err
	}
	return decodeStrict(body, dst)
}

// decodeStrict decodes body into dst and turns decoding failures into
// problems: broken JSON is a 400, a well-formed body with unknown fields
// or wrong types is a 422 naming the field.
func decodeStrict(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return newProblem(probMalformed, "The request body is empty; send a JSON object.")
	}
	if string(bytes.TrimSpace(body)) == "null" {
		return newProblem(probMalformed, "The request body is null; send a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		return newProblem(probMalformed, "The body contains more than one JSON value; send one object.")
	}
	if err == nil {
		if _, tailErr := dec.Token(); tailErr != io.EOF {
			return newProblem(probMalformed, "The body has data after the JSON value.")
		}
		return nil
	}
	return jsonProblem(err, body, dst)
}

// jsonProblem turns the error of decoding body into dst into a problem.
func jsonProblem(err error, body []byte, dst any) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return newProblem(probMalformed, "The body is not valid JSON: %v (at byte %d).", syntaxErr, syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newProblem(probMalformed, "The body is not valid JSON: it ends too early.")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return newProblem(probMalformed, "The body must be %s, not %s.", validation.JSONKind(typeErr.Type), typeErr.Value)
		}
		return validation.New(field, "must be %s, not %s", validation.JSONKind(typeErr.Type), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return validation.New(validation.UnknownFieldPath(body, dst, name), "is not a known field; check the spelling against the API reference")
	}
	return newProblem(probMalformed, "The body could not be decoded: %v.", err)
}

// byteSize writes a size in bytes the way people read it: whole KiB or
// MiB when n is a multiple of one, such as "8 MiB", else bytes with
// thousands separators, such as "1,500 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n == 1:
		return "1 byte"
	}
	digits := strconv.FormatInt(n, 10)
	var out strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out.WriteByte(',')
		}
		out.WriteRune(d)
	}
	return out.String() + " bytes"
}
