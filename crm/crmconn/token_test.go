package crmconn_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestConcurrentRequestsRefreshOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn := f.authorize(t, "hubspot")
		f.clock.advance(30 * time.Minute) // at-1 has expired
		release := make(chan struct{})
		f.crm.release = release
		client, err := f.svc.HTTPClient(conn)
		require.NoError(t, err)

		const requests = 50
		var wg sync.WaitGroup
		results := make([]map[string]string, requests)
		for i := range requests {
			wg.Go(func() { results[i] = getJSON(t, client, f.crm.URL()+"/api/contacts") })
		}
		close(release)
		wg.Wait()

		require.Equal(t, int32(1), f.crm.refreshes.Load(), "one refresh request for all waiting requests")
		for i, got := range results {
			require.Equal(t, "Bearer at-2", got["authorization"], "request %d", i)
		}
		forms, _ := f.crm.tokenRequests()
		require.Equal(t, "refresh_token", forms[1].Get("grant_type"))
		require.Equal(t, "rt-1", forms[1].Get("refresh_token"))
	})
}

func TestRefreshedTokenSurvivesRestart(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn := f.authorize(t, "hubspot")
		f.clock.advance(29*time.Minute + 30*time.Second) // within the expiry margin of at-1
		client, err := f.svc.HTTPClient(conn)
		require.NoError(t, err)
		require.Equal(t, "Bearer at-2", getJSON(t, client, f.crm.URL()+"/api/contacts")["authorization"])

		restarted := f.newService()
		stored, err := restarted.Get(f.ctx, f.ws, conn.ID)
		require.NoError(t, err)
		require.Equal(t, "at-2", stored.Auth.AccessToken)
		require.Equal(t, "rt-1", stored.Auth.RefreshToken, "the refresh answer repeated the refresh token")
		client, err = restarted.HTTPClient(stored)
		require.NoError(t, err)

		require.Equal(t, "Bearer at-2", getJSON(t, client, f.crm.URL()+"/api/contacts")["authorization"])
		require.Equal(t, int32(1), f.crm.refreshes.Load(), "the restarted service uses the stored token")
	})
}

func TestStaleInstanceAdoptsStoredToken(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn := f.authorize(t, "hubspot")
		second := f.newService()
		f.clock.advance(30 * time.Minute)
		first, err := f.svc.HTTPClient(conn)
		require.NoError(t, err)
		require.Equal(t, "Bearer at-2", getJSON(t, first, f.crm.URL()+"/api/contacts")["authorization"])

		other, err := second.HTTPClient(conn) // seeded with the expired at-1
		require.NoError(t, err)

		require.Equal(t, "Bearer at-2", getJSON(t, other, f.crm.URL()+"/api/contacts")["authorization"])
		require.Equal(t, int32(1), f.crm.refreshes.Load(), "the second instance rereads the token the first one stored")
	})
}

func TestRejectedTokenRefreshedAndRetried(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.crm.expiresIn, f.crm.refreshedExpiresIn = 0, 0 // like Salesforce: no expires_in
		f.crm.extra = map[string]any{"instance_url": f.crm.URL()}
		conn := f.authorize(t, "salesforce")
		require.True(t, conn.Auth.Expiry.IsZero())
		client, err := f.svc.HTTPClient(conn)
		require.NoError(t, err)
		require.Equal(t, "Bearer at-1", getJSON(t, client, f.crm.URL()+"/api/contacts")["authorization"])

		f.crm.revoke("at-1")
		got := getJSON(t, client, f.crm.URL()+"/api/contacts")

		require.Equal(t, "Bearer at-2", got["authorization"], "the 401 led to a refresh and one retry")
		require.Equal(t, int32(1), f.crm.refreshes.Load())
		require.Equal(t, int32(3), f.crm.apiCalls.Load())
	})
}

func TestRefreshRejectedNeedsAuthorization(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn := f.authorize(t, "hubspot")
		f.clock.advance(time.Hour)
		f.crm.refreshStatus = http.StatusBadRequest
		client, err := f.svc.HTTPClient(conn)
		require.NoError(t, err)

		_, err = client.Get(f.crm.URL() + "/api/contacts")
		require.ErrorIs(t, err, crm.ErrUnauthorized)
		require.ErrorContains(t, err, "invalid_grant: refresh token revoked; authorize the connection again")

		_, err = client.Get(f.crm.URL() + "/api/contacts")
		require.ErrorIs(t, err, crm.ErrUnauthorized)
		require.Equal(t, int32(1), f.crm.refreshes.Load(), "a rejected refresh is not retried at once")
		require.Equal(t, int32(0), f.crm.apiCalls.Load(), "no request left without a token")
	})
}

func TestRefreshUnavailable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		conn := f.authorize(t, "hubspot")
		f.clock.advance(time.Hour)
		f.crm.refreshStatus = http.StatusBadGateway
		client, err := f.svc.HTTPClient(conn)
		require.NoError(t, err)

		_, err = client.Get(f.crm.URL() + "/api/contacts")

		require.ErrorIs(t, err, crm.ErrUnavailable)
		require.NotErrorIs(t, err, crm.ErrUnauthorized)
	})
}
