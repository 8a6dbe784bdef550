package gateway

import (
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes declares every route of the gateway, with the middleware and
// scope each one needs.
func (s *Server) routes() {
	s.useCommonMiddleware()
	e := s.echo

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})))
	e.GET("/openapi.json", s.serveOpenAPI)
	e.GET("/docs", s.serveDocs)
	e.GET("/docs/*", s.serveDocsAssets)
	e.GET("/problems", s.listProblemTypes)
	e.GET("/problems/:slug", s.getProblemType)
	e.POST("/oauth/token", s.issueToken)

	// Telephony webhooks authenticate with the provider's signature, not
	// with an API key.
	e.GET("/hooks/:provider/:connection_id/:hook", s.receiveWebhook)
	e.POST("/hooks/:provider/:connection_id/:hook", s.receiveWebhook)

	v1 := e.Group("/v1", s.requireAuth)

	read, write := requireScope(ScopeDirectoryRead), requireScope(ScopeDirectoryWrite)
	v1.GET("/phonebooks", s.listPhonebooks, read)
	v1.POST("/phonebooks", s.createPhonebook, write)
	v1.GET("/phonebooks/:id", s.getPhonebook, read)
	v1.PATCH("/phonebooks/:id", s.updatePhonebook, write)
	v1.DELETE("/phonebooks/:id", s.deletePhonebook, write)
	v1.POST("/phonebooks/:id/contacts/batch", s.batchUpsertContacts, write)
	v1.POST("/phonebooks/:id/contacts/import", s.importContacts, write)
	v1.GET("/phonebooks/:id/contacts/by-external-id/:external_id", s.getContactByExternalID, read)

	v1.GET("/contacts", s.listContacts, read)
	v1.POST("/contacts", s.createContact, write)
	v1.GET("/contacts/lookup", s.lookupContacts, read)
	v1.GET("/contacts/deleted", s.listDeletedContacts, read)
	v1.GET("/contacts/:id", s.getContact, read)
	v1.PATCH("/contacts/:id", s.patchContact, write)
	v1.PUT("/contacts/:id", s.replaceContact, write)
	v1.DELETE("/contacts/:id", s.deleteContact, write)

	callsRead, callsWrite := requireScope(ScopeCallsRead), requireScope(ScopeCallsWrite)
	v1.GET("/calls", s.listCalls, callsRead)
	v1.GET("/calls/:id", s.getCall, callsRead)
	v1.POST("/calls/:id/route", s.rerouteCall, callsWrite)
	v1.POST("/telephony-connections/:id/routing/test", s.testRouting, requireScope(ScopeConnectionsRead))

	connRead, connWrite := requireScope(ScopeConnectionsRead), requireScope(ScopeConnectionsWrite)
	v1.GET("/telephony-connections", s.listTelephonyConnections, connRead)
	v1.POST("/telephony-connections", s.createTelephonyConnection, connWrite)
	v1.GET("/telephony-connections/:id", s.getTelephonyConnection, connRead)
	v1.PATCH("/telephony-connections/:id", s.updateTelephonyConnection, connWrite)
	v1.DELETE("/telephony-connections/:id", s.deleteTelephonyConnection, connWrite)

	admin := requireScope(ScopeAdmin)
	v1.GET("/workspace", s.getWorkspace)
	v1.PATCH("/workspace", s.updateWorkspace, admin)
	v1.GET("/api-keys", s.listAPIKeys, admin)
	v1.POST("/api-keys", s.createAPIKey, admin)
	v1.POST("/api-keys/:id/revoke", s.revokeAPIKey, admin)

}
