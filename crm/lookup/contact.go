package lookup

import (
	"context"
	"encoding/json"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-oss/switchboard/telephony/phone"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// RecordRef returns how routing decisions name a CRM record:
// "{crm connection id}/{record id}", such as
// "crm_0195f0c7d2e47a1b8c9d0e1f2a3b4c5d/51". Phonebook contact ids start
// with "ct_", so the two cannot be confused.
func RecordRef(crmConnectionID, recordID string) string {
	return crmConnectionID + "/" + recordID
}

// LookupContact looks the caller up as Lookup does and returns the contact
// as routing rules see it, with the references (RecordRef) of every
// matching record, the chosen one first. It returns a nil contact and no
// error when the CRM has no record with the number. It is the CRM step
// of telephony/inbound.
func (s *Service) LookupContact(ctx context.Context, workspaceID, crmConnectionID, e164 string) (*routing.ContactEnv, []string, error) {
	res, err := s.Lookup(ctx, workspaceID, crmConnectionID, e164)
	if err != nil || res == nil {
		return nil, nil, err
	}

	refs := make([]string, len(res.RecordIDs))
	for i, id := range res.RecordIDs {
		refs[i] = RecordRef(res.ConnectionID, id)
	}
	return res.ContactEnv(), refs, nil
}

// ContactEnv returns the mapped contact as routing rules see it. Its ID is
// the record's RecordRef. Owner is extra_data.owner, else
// extra_data.owner_email, else the record's owner email or name. CRMURL
// is extra_data.crm_url, else the record's deep link. Phone numbers that
// do not parse in the result's region are left out.
func (r *Result) ContactEnv() *routing.ContactEnv {
	c := r.Contact
	env := &routing.ContactEnv{
		ID:          RecordRef(r.ConnectionID, r.Record.ID),
		ExternalID:  c.ExternalID,
		FirstName:   c.FirstName,
		LastName:    c.LastName,
		DisplayName: c.DisplayName,
		Company:     c.Company,
		Emails:      c.Emails,
		ExtraData:   map[string]any{},
	}
	for _, n := range c.PhoneNumbers {
		if parsed, err := phone.Parse(n.Number, r.Region); err == nil && parsed.E164 != "" {
			env.PhoneNumbers = append(env.PhoneNumbers, parsed.E164)
		}
	}
	if len(c.ExtraData) > 0 {
		_ = json.Unmarshal(c.ExtraData, &env.ExtraData) // mapping.Apply encodes a JSON object
	}

	env.Owner = firstNonEmpty(stringKey(env.ExtraData, "owner"), stringKey(env.ExtraData, "owner_email"),
		r.Record.OwnerEmail, r.Record.OwnerName)
	env.CRMURL = firstNonEmpty(stringKey(env.ExtraData, "crm_url"), r.Record.URL)
	return env
}

func stringKey(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// callerRegion returns the region of an E.164 number, or "" when it has
// none, such as a number of a non-geographic country code.
func callerRegion(e164 string) string {
	parsed, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(parsed)
}
