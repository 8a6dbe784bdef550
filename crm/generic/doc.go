// Package generic connects a CRM that has no dedicated connector through
// its REST API, described by templates and JSON paths in Config.
//
// A lookup fills LookupURLTemplate (and, for a POST, BodyTemplate) with the
// forms of the caller's number, sends it, and reads the records at
// ResultsPath. A change listing fills ListURLTemplate with the start time
// and the CRM's cursor and reads the next cursor at NextCursorPath.
//
// Paths use the GJSON syntax of github.com/tidwall/gjson: keys joined with
// dots ("data.items"), array indexes ("emails.0"), "#" for every element
// ("phones.#.number") and a backslash before a literal dot in a key.
//
// Record properties are keyed by path. Every leaf value of a record is
// there under its flattened path ("name.first", "emails.0.address"), and
// every configured path that is not a leaf, such as "phones.#.number", is
// there with its value. A mapping therefore uses the same paths as this
// configuration. Numbers are json.Number values, so long ids and phone
// numbers stored as JSON numbers keep every digit.
package generic
