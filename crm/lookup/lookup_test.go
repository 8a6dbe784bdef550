package lookup_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/crm/lookup"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

func TestLookupHitMapsRecord(t *testing.T) {
	f := setup(t)
	f.connector.answer(searchAnswer{records: []crm.Record{ann()}})

	res, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)

	require.NoError(t, err)
	require.NotNil(t, res)
	require.Equal(t, [][]string{phone.NationalForms(caller)}, f.connector.searches)
	require.Equal(t, "51", res.Record.ID)
	require.Equal(t, "https://app.hubspot.com/contacts/12345/record/0-1/51", res.Record.URL, "the connector's deep link fills an empty URL")
	require.Equal(t, 1, res.Matches)
	require.Equal(t, []string{"51"}, res.RecordIDs)
	require.Equal(t, "DE", res.Region)
	require.Equal(t, "Ann", res.Contact.FirstName)
	require.Equal(t, "Lee", res.Contact.LastName)
	require.Equal(t, "Acme", res.Contact.Company)
	require.Equal(t, "51", res.Contact.ExternalID)
	require.Equal(t, []string{"ann.lee@example.com"}, res.Contact.Emails)
	require.Equal(t, []directory.PhoneNumberInput{
		{Label: "work", Number: "+1 415 555 0123"},
		{Label: "mobile", Number: "030 1234567"},
	}, res.Contact.PhoneNumbers)
	require.JSONEq(t, `{"owner_id":"7","owner_name":"Olga Owner","owner_email":"olga@acme.test",
		"crm_url":"https://app.hubspot.com/contacts/12345/record/0-1/51"}`, string(res.Contact.ExtraData))
	require.Equal(t, 1.0, f.lookups(t, "hit"))
}

func TestLookupContactEnv(t *testing.T) {
	f := setup(t)
	f.connector.answer(searchAnswer{records: []crm.Record{ann()}})

	env, refs, err := f.svc.LookupContact(f.ctx, testWorkspace, testConn, caller)

	require.NoError(t, err)
	require.NotNil(t, env)
	require.Equal(t, []string{"crm_hubspot/51"}, refs)
	require.Equal(t, "crm_hubspot/51", env.ID)
	require.Equal(t, "51", env.ExternalID)
	require.Equal(t, "olga@acme.test", env.Owner, "owner_email of the default mapping")
	require.Equal(t, "https://app.hubspot.com/contacts/12345/record/0-1/51", env.CRMURL)
	require.Equal(t, "olga@acme.test", env.ExtraData["owner_email"])
	require.Equal(t, []string{"+14155550123", "+49301234567"}, env.PhoneNumbers, "numbers without a country code are read in the workspace's region")
}

func TestLookupContactMiss(t *testing.T) {
	f := setup(t)
	f.connector.answer(searchAnswer{records: []crm.Record{}})

	env, refs, err := f.svc.LookupContact(f.ctx, testWorkspace, testConn, caller)

	require.NoError(t, err)
	require.Nil(t, env)
	require.Nil(t, refs)
	require.Equal(t, 1.0, f.lookups(t, "miss"))
}

func TestLookupAppliesConnectionMapping(t *testing.T) {
	f := setup(t)
	f.conns.mapping = &mapping.Mapping{Fields: []mapping.FieldMapping{
		{Target: mapping.TargetDisplayName, Template: "{{firstname}} {{lastname}} ({{company}})", Transform: mapping.TransformTemplate},
		{Target: "extra_data.tier", Source: "tier", Transform: mapping.TransformLowercase},
		{Target: "extra_data.owner", Source: mapping.SourceOwnerName},
	}}
	f.connector.answer(searchAnswer{records: []crm.Record{ann()}})

	env, _, err := f.svc.LookupContact(f.ctx, testWorkspace, testConn, caller)

	require.NoError(t, err)
	require.Equal(t, "Ann Lee (Acme)", env.DisplayName)
	require.Equal(t, "", env.FirstName, "the connection's mapping replaces the default one")
	require.Equal(t, "gold", env.ExtraData["tier"])
	require.Equal(t, "Olga Owner", env.Owner, "extra_data.owner comes before the owner's email")
	require.Equal(t, "https://app.hubspot.com/contacts/12345/record/0-1/51", env.CRMURL, "the record's link without a crm_url key")
}

func TestLookupChoosesMostRecentlyUpdated(t *testing.T) {
	f := setup(t)
	older := ann()
	newer := ann()
	newer.ID, newer.UpdatedAt = "77", older.UpdatedAt.Add(time.Hour)
	newer.Properties = map[string]any{"firstname": "Anne"}
	archived := ann()
	archived.ID, archived.UpdatedAt, archived.Archived = "99", older.UpdatedAt.Add(2*time.Hour), true
	f.connector.answer(searchAnswer{records: []crm.Record{older, archived, newer}})

	res, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)

	require.NoError(t, err)
	require.Equal(t, "77", res.Record.ID)
	require.Equal(t, "Anne", res.Contact.FirstName)
	require.Equal(t, 2, res.Matches, "archived records do not count")
	require.Equal(t, []string{"77", "51"}, res.RecordIDs)
}

func TestLookupOnlyArchivedIsMiss(t *testing.T) {
	f := setup(t)
	archived := ann()
	archived.Archived = true
	f.connector.answer(searchAnswer{records: []crm.Record{archived}})

	res, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)

	require.NoError(t, err)
	require.Nil(t, res)
}

func TestLookupCacheHit(t *testing.T) {
	f := setup(t)
	f.connector.answer(searchAnswer{records: []crm.Record{ann()}})
	first, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)
	require.NoError(t, err)

	f.clock.advance(lookup.DefaultCacheTTL - time.Second)
	second, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)

	require.NoError(t, err)
	require.Equal(t, first, second)
	require.Equal(t, 1, f.connector.calls())
	require.Equal(t, 1.0, f.lookups(t, "cache_hit"))
}

func TestLookupCacheExpires(t *testing.T) {
	f := setup(t, func(c *lookup.Config) { c.CacheTTL = time.Minute })
	f.connector.answer(searchAnswer{records: []crm.Record{ann()}})
	_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)
	require.NoError(t, err)

	f.clock.advance(time.Minute)
	res, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)

	require.NoError(t, err)
	require.NotNil(t, res)
	require.Equal(t, 2, f.connector.calls())
	require.Equal(t, 2.0, f.lookups(t, "hit"))
}

func TestLookupNegativeCache(t *testing.T) {
	f := setup(t)
	f.connector.answer(searchAnswer{records: []crm.Record{}}, searchAnswer{records: []crm.Record{ann()}})
	_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)
	require.NoError(t, err)

	f.clock.advance(lookup.DefaultNegativeTTL - time.Second)
	cached, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)
	require.NoError(t, err)
	require.Nil(t, cached)
	require.Equal(t, 1, f.connector.calls())
	require.Equal(t, 1.0, f.lookups(t, "negative_cache_hit"))

	f.clock.advance(time.Second)
	found, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)
	require.NoError(t, err)
	require.NotNil(t, found, "the negative entry expired after NegativeTTL, before CacheTTL")
	require.Equal(t, 2, f.connector.calls())
}

func TestLookupForgetDropsNegativeEntry(t *testing.T) {
	f := setup(t)
	f.connector.answer(searchAnswer{records: []crm.Record{}}, searchAnswer{records: []crm.Record{ann()}})
	missing, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)
	require.NoError(t, err)
	require.Nil(t, missing)

	f.svc.Forget(testWorkspace, testConn, caller)
	found, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)
	require.NoError(t, err)
	require.NotNil(t, found, "the lookup after Forget asks the CRM again")
	require.Equal(t, 2, f.connector.calls())
}

func TestLookupCacheIsBounded(t *testing.T) {
	f := setup(t, func(c *lookup.Config) { c.CacheSize = 2 })
	f.connector.answer(searchAnswer{records: []crm.Record{ann()}})
	for _, number := range []string{"+14155550101", "+14155550102", "+14155550103", "+14155550103", "+14155550101"} {
		_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, number)
		require.NoError(t, err)
	}

	require.Equal(t, 4, f.connector.calls(), "the third number evicted the first")
}

func TestLookupCacheIsPerWorkspace(t *testing.T) {
	f := setup(t)
	f.connector.answer(searchAnswer{records: []crm.Record{ann()}})
	_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)
	require.NoError(t, err)

	res, err := f.svc.Lookup(f.ctx, "ws_other", testConn, caller)

	require.ErrorIs(t, err, store.ErrNotFound)
	require.Nil(t, res)
}

func TestLookupInvalidNumber(t *testing.T) {
	f := setup(t)

	_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, "anonymous")

	require.ErrorIs(t, err, lookup.ErrInvalidNumber)
	require.Equal(t, 0, f.connector.calls())
}

func TestLookupTimeout(t *testing.T) {
	f := setup(t)
	f.connector.answer(searchAnswer{hang: true})
	ctx, cancel := context.WithTimeout(f.ctx, 20*time.Millisecond)
	defer cancel()

	res, err := f.svc.Lookup(ctx, testWorkspace, testConn, caller)

	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Nil(t, res)
	require.Equal(t, 1.0, f.lookups(t, "timeout"))
}

func TestLookupErrorsAreNotCached(t *testing.T) {
	f := setup(t)
	f.connector.answer(searchAnswer{err: crm.ErrUnavailable}, searchAnswer{records: []crm.Record{ann()}})
	_, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)
	require.ErrorIs(t, err, crm.ErrUnavailable)

	res, err := f.svc.Lookup(f.ctx, testWorkspace, testConn, caller)

	require.NoError(t, err)
	require.NotNil(t, res)
	require.Equal(t, 1.0, f.lookups(t, "error"))
}

func TestContactEnvExtraDataTypes(t *testing.T) {
	res := lookup.Result{
		ConnectionID: "crm_x",
		Record:       crm.Record{ID: "1", OwnerName: "Olga"},
		Contact:      directory.ContactInput{ExtraData: json.RawMessage(`{"vip":true,"deals":3}`)},
	}

	env := res.ContactEnv()

	require.Equal(t, true, env.ExtraData["vip"])
	require.Equal(t, 3.0, env.ExtraData["deals"])
	require.Equal(t, "Olga", env.Owner, "the record's owner name without an email")
	require.Equal(t, "", env.CRMURL)
}

func TestNewRequiresConnections(t *testing.T) {
	_, err := lookup.New(lookup.Config{})

	require.ErrorContains(t, err, "connections are required")
}
