package salesforce

import (
	"fmt"
	"strings"
	"time"
)

// objectFields are the fields read from each supported object, before
// Config.ExtraFields. Owner is a relationship to User, or to User or Group
// on Lead because a queue may own a lead. Both offer Name and Email.
var objectFields = map[string][]string{
	"Contact": {
		"Id", "FirstName", "LastName", "Name", "Title", "Email",
		"Phone", "MobilePhone", "HomePhone", "OtherPhone", "AssistantPhone",
		"AccountId", "Account.Name",
		"OwnerId", "Owner.Name", "Owner.Email", "LastModifiedDate",
	},
	"Lead": {
		"Id", "FirstName", "LastName", "Name", "Title", "Company", "Email",
		"Phone", "MobilePhone", "Status", "IsConverted",
		"OwnerId", "Owner.Name", "Owner.Email", "LastModifiedDate",
	},
	"Account": {
		"Id", "Name", "Phone", "Fax", "Website", "Type", "Industry",
		"OwnerId", "Owner.Name", "Owner.Email", "LastModifiedDate",
	},
}

// relationshipLabels label the relationship fields that describe does not
// list but records carry.
var relationshipLabels = map[string]string{
	"Owner.Name":   "Owner Name",
	"Owner.Email":  "Owner Email",
	"Account.Name": "Account Name",
}

// searchLimit caps the records one phone search returns, over all objects.
const searchLimit = 20

// fields returns the fields read from object: its built-in list and then the
// extra fields it does not have yet, compared without regard to case as
// Salesforce does.
func (c *Connector) fields(object string) []string {
	list := append([]string(nil), objectFields[object]...)
	for _, extra := range c.extraFields {
		if !containsFold(list, extra) {
			list = append(list, extra)
		}
	}
	return list
}

func containsFold(list []string, value string) bool {
	for _, item := range list {
		if strings.EqualFold(item, value) {
			return true
		}
	}
	return false
}

// soslReserved are the characters that SOSL reserves in a FIND search
// term. A backslash makes each one literal (SOQL and SOSL Reference,
// "Example Text Searches").
const soslReserved = `?&|!{}[]()^~*:\"'+-`

// escapeSOSL makes term literal inside a FIND clause.
func escapeSOSL(term string) string {
	var b strings.Builder
	for _, r := range term {
		if strings.ContainsRune(soslReserved, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// escapeSOQL makes value literal inside a single-quoted SOQL string.
func escapeSOQL(value string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(value)
}

// soqlTime formats t as a SOQL dateTime literal in UTC, truncated to the
// second as LastModifiedDate is stored.
func soqlTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// searchStatement builds the SOSL statement that finds any of forms in the
// phone fields of the configured objects. Each form is a quoted phrase so
// that its spaces do not split it into separate terms.
func (c *Connector) searchStatement(forms []string) string {
	phrases := make([]string, len(forms))
	for i, form := range forms {
		phrases[i] = `"` + escapeSOSL(form) + `"`
	}

	returning := make([]string, len(c.objects))
	for i, object := range c.objects {
		returning[i] = object + "(" + strings.Join(c.fields(object), ", ") + ")"
	}

	return fmt.Sprintf("FIND {%s} IN PHONE FIELDS RETURNING %s LIMIT %d",
		strings.Join(phrases, " OR "), strings.Join(returning, ", "), searchLimit)
}

// changesQuery builds the SOQL query for the records of object changed at
// or after since (all when since is zero) and before until, starting after
// position after when it is not nil.
func (c *Connector) changesQuery(object string, since, until time.Time, after *position) string {
	var conditions []string
	if !since.IsZero() {
		conditions = append(conditions, "LastModifiedDate >= "+soqlTime(since))
	}
	conditions = append(conditions, "LastModifiedDate < "+soqlTime(until))
	if after != nil {
		at := soqlTime(after.Time)
		conditions = append(conditions, fmt.Sprintf(
			"(LastModifiedDate > %s OR (LastModifiedDate = %s AND Id > '%s'))", at, at, escapeSOQL(after.ID)))
	}

	return fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY LastModifiedDate, Id",
		strings.Join(c.fields(object), ", "), object, strings.Join(conditions, " AND "))
}

// sampleQuery builds the SOQL query for the most recently changed record of
// object.
func (c *Connector) sampleQuery(object string) string {
	return fmt.Sprintf("SELECT %s FROM %s ORDER BY LastModifiedDate DESC LIMIT 1",
		strings.Join(c.fields(object), ", "), object)
}
