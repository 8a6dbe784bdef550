package gateway

import (
	"net/http"

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
	e.GET("/agent", s.serveAgentConsole)
	e.GET("/agent/*", s.serveAgentConsoleAssets)
	e.GET("/problems", s.listProblemTypes)
	e.GET("/problems/:slug", s.getProblemType)
	e.POST("/oauth/token", s.issueToken)

	// Telephony webhooks authenticate with the provider's signature, not
	// with an API key.
	e.GET("/hooks/:provider/:connection_id/:hook", s.receiveWebhook)
	e.POST("/hooks/:provider/:connection_id/:hook", s.receiveWebhook)

	v1 := authenticated{group: e.Group("/v1"), auth: s.requireAuth}
	// The routes that embed related objects on request. Every other /v1
	// route rejects the include parameter with a 400.
	embedding := v1.acceptingInclude()

	read, write := requireScope(ScopeDirectoryRead), requireScope(ScopeDirectoryWrite)
	v1.GET("/phonebooks", s.listPhonebooks, read)
	v1.POST("/phonebooks", s.createPhonebook, write)
	v1.GET("/phonebooks/:id", s.getPhonebook, read)
	v1.PATCH("/phonebooks/:id", s.updatePhonebook, write)
	v1.DELETE("/phonebooks/:id", s.deletePhonebook, write)
	v1.POST("/phonebooks/:id/contacts/batch", s.batchUpsertContacts, write)
	v1.POST("/phonebooks/:id/contacts/import", s.importContacts, write)
	embedding.GET("/phonebooks/:id/contacts/by-external-id/:external_id", s.getContactByExternalID, read)

	embedding.GET("/contacts", s.listContacts, read)
	v1.POST("/contacts", s.createContact, write)
	embedding.GET("/contacts/lookup", s.lookupContacts, read)
	v1.GET("/contacts/deleted", s.listDeletedContacts, read)
	embedding.GET("/contacts/:id", s.getContact, read)
	v1.PATCH("/contacts/:id", s.patchContact, write)
	v1.PUT("/contacts/:id", s.replaceContact, write)
	v1.DELETE("/contacts/:id", s.deleteContact, write)

	// Metadata of the API and the workspace's custom contact fields. Any
	// credential may read metadata; changing custom fields needs admin,
	// because a new field can reject writes of every integration.
	v1.GET("/meta/object-types", s.listObjectTypes)
	v1.GET("/meta/object-types/:type", s.getObjectType)
	v1.GET("/meta/object-types/:type/fields", s.listObjectTypeFields)
	v1.GET("/custom-fields", s.listCustomFields, read)
	v1.POST("/custom-fields", s.createCustomField, requireScope(ScopeAdmin))
	v1.GET("/custom-fields/:name", s.getCustomField, read)
	v1.PATCH("/custom-fields/:name", s.updateCustomField, requireScope(ScopeAdmin))
	v1.DELETE("/custom-fields/:name", s.deleteCustomField, requireScope(ScopeAdmin))

	callsRead, callsWrite := requireScope(ScopeCallsRead), requireScope(ScopeCallsWrite)
	embedding.GET("/calls", s.listCalls, callsRead)
	embedding.GET("/calls/:id", s.getCall, callsRead)
	v1.PATCH("/calls/:id", s.patchCall, callsWrite)
	v1.POST("/calls/:id/route", s.rerouteCall, callsWrite)
	// The CRM logs of calls share the calls scopes.
	v1.GET("/call-logs", s.listCallLogs, callsRead)
	v1.POST("/call-logs/retry", s.retryFailedCallLogs, callsWrite)
	v1.GET("/call-logs/:id", s.getCallLog, callsRead)
	v1.POST("/call-logs/:id/retry", s.retryCallLog, callsWrite)
	v1.POST("/call-logs/:id/skip", s.skipCallLog, callsWrite)
	v1.POST("/telephony-connections/:id/routing/test", s.testRouting, requireScope(ScopeConnectionsRead))

	connRead, connWrite := requireScope(ScopeConnectionsRead), requireScope(ScopeConnectionsWrite)
	v1.GET("/telephony-connections", s.listTelephonyConnections, connRead)
	v1.POST("/telephony-connections", s.createTelephonyConnection, connWrite)
	v1.GET("/telephony-connections/:id", s.getTelephonyConnection, connRead)
	v1.PATCH("/telephony-connections/:id", s.updateTelephonyConnection, connWrite)
	v1.DELETE("/telephony-connections/:id", s.deleteTelephonyConnection, connWrite)

	// CRM connections share the connections scopes. The OAuth callback
	// takes no API credential: its signed state names the connection.
	e.GET(CRMCallbackPath, s.completeCRMAuthorization)
	v1.GET("/crm-connections", s.listCRMConnections, connRead)
	v1.POST("/crm-connections", s.createCRMConnection, connWrite)
	v1.GET("/crm-connections/:id", s.getCRMConnection, connRead)
	v1.PATCH("/crm-connections/:id", s.updateCRMConnection, connWrite)
	v1.DELETE("/crm-connections/:id", s.deleteCRMConnection, connWrite)
	v1.POST("/crm-connections/:id/test", s.testCRMConnection, connWrite)
	v1.GET("/crm-connections/:id/fields", s.listCRMFields, connRead)
	v1.GET("/crm-connections/:id/mapping", s.getCRMMapping, connRead)
	v1.PUT("/crm-connections/:id/mapping", s.putCRMMapping, connWrite)
	v1.POST("/crm-connections/:id/mapping/preview", s.previewCRMMapping, connRead)
	v1.GET("/crm-connections/:id/oauth/authorize", s.authorizeCRMConnection, connWrite)

	// Contact sync of a CRM connection into its phonebook.
	v1.POST("/crm-connections/:id/sync", s.requestCRMSync, connWrite)
	v1.GET("/crm-connections/:id/sync", s.getCRMSync, connRead)
	v1.GET("/crm-connections/:id/sync/runs", s.listCRMSyncRuns, connRead)

	// Webhook subscriptions of integration platforms, their delivery log
	// and the events recorded for them.
	hooksRead, hooksWrite := requireScope(ScopeWebhooksRead), requireScope(ScopeWebhooksWrite)
	v1.GET("/webhooks", s.listWebhooks, hooksRead)
	v1.POST("/webhooks", s.createWebhook, hooksWrite)
	v1.GET("/webhooks/:id", s.getWebhook, hooksRead)
	v1.PATCH("/webhooks/:id", s.updateWebhook, hooksWrite)
	v1.DELETE("/webhooks/:id", s.deleteWebhook, hooksWrite)
	v1.POST("/webhooks/:id/rotate-secret", s.rotateWebhookSecret, hooksWrite)
	v1.GET("/webhooks/:id/deliveries", s.listWebhookDeliveries, hooksRead)
	v1.POST("/webhooks/:id/deliveries/:delivery_id/redeliver", s.redeliverWebhook, hooksWrite)
	v1.POST("/webhooks/:id/redeliver", s.redeliverWebhookSince, hooksWrite)
	v1.GET("/webhook-events", s.listWebhookEvents, hooksRead)

	admin := requireScope(ScopeAdmin)
	v1.GET("/workspace", s.getWorkspace)
	v1.PATCH("/workspace", s.updateWorkspace, admin)
	v1.GET("/api-keys", s.listAPIKeys, admin)
	v1.POST("/api-keys", s.createAPIKey, admin)
	v1.POST("/api-keys/:id/revoke", s.revokeAPIKey, admin)

	// Users and the agent console. Sign-in takes an email and password,
	// and the stream reads its token itself, because browsers cannot set
	// headers on a WebSocket.
	e.POST("/v1/auth/sign-in", s.signIn)
	e.GET("/v1/agents/stream", s.streamAgentEvents)
	v1.GET("/users", s.listUsers, admin)
	v1.POST("/users", s.createUser, admin)
	v1.GET("/users/:id", s.getUser, admin)
	v1.PATCH("/users/:id", s.updateUser, admin)
	v1.DELETE("/users/:id", s.deleteUser, admin)
	agent := requireScope(ScopeAgent)
	v1.GET("/agents/me", s.getMe, agent)
	v1.GET("/agents/me/calls", s.listMyCalls, agent)

	s.adminRoutes()
}

// authenticated registers routes under a group's prefix with an
// authentication middleware ahead of each route's own, and rejectInclude
// after them unless the routes read include themselves. echo's Group.Use,
// and a middleware passed to Group, would register a catch-all 404 route
// for the prefix, and the router prefers that route to its 405 for a known
// path with another method.
type authenticated struct {
	group *echo.Group
	auth  echo.MiddlewareFunc
	// readsInclude marks routes whose handlers call parseInclude.
	readsInclude bool
}

// acceptingInclude returns a copy of a for routes whose handlers read the
// include parameter.
func (a authenticated) acceptingInclude() authenticated {
	a.readsInclude = true
	return a
}

func (a authenticated) add(method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	middleware := append([]echo.MiddlewareFunc{a.auth}, m...)
	if !a.readsInclude {
		middleware = append(middleware, rejectInclude)
	}
	a.group.Add(method, path, h, middleware...)
}

func (a authenticated) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	a.add(http.MethodGet, path, h, m...)
}

func (a authenticated) POST(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	a.add(http.MethodPost, path, h, m...)
}

func (a authenticated) PUT(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	a.add(http.MethodPut, path, h, m...)
}

func (a authenticated) PATCH(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	a.add(http.MethodPatch, path, h, m...)
}

func (a authenticated) DELETE(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	a.add(http.MethodDelete, path, h, m...)
}

// adminRoutes declares the admin web UI under /admin: HTML pages for
// signed-in admins, each form guarded by a CSRF token. The pages call the
// same domain services as the /v1 handlers.
func (s *Server) adminRoutes() {
	e := s.echo
	e.GET("/admin/static/*", s.serveAdminStatic)

	pub := e.Group("/admin", s.adminErrors, s.adminBodyLimit(s.cfg.MaxBodyBytes), s.adminCSRF())
	pub.GET("/sign-in", s.showAdminSignIn)
	pub.POST("/sign-in", s.adminSignIn)
	pub.POST("/sign-out", s.adminSignOut)

	a := e.Group("/admin", s.adminErrors, s.adminBodyLimit(s.cfg.MaxBodyBytes), s.adminCSRF(), s.requireAdmin)
	a.GET("", s.showAdminHome)

	a.GET("/telephony", s.listAdminTelephony)
	a.GET("/telephony/new", s.newAdminTelephony)
	a.POST("/telephony", s.createAdminTelephony)
	a.GET("/telephony/:id", s.showAdminTelephony)
	a.POST("/telephony/:id", s.updateAdminTelephony)
	a.POST("/telephony/:id/delete", s.deleteAdminTelephony)
	a.GET("/telephony/:id/rules", s.showAdminRules)
	a.POST("/telephony/:id/rules", s.saveAdminRules)
	a.POST("/telephony/:id/test", s.testAdminRouting)

	a.GET("/crm", s.listAdminCRM)
	a.GET("/crm/new", s.newAdminCRM)
	a.POST("/crm", s.createAdminCRM)
	a.GET("/crm/:id", s.showAdminCRM)
	a.POST("/crm/:id", s.updateAdminCRM)
	a.POST("/crm/:id/delete", s.deleteAdminCRM)
	a.POST("/crm/:id/test", s.testAdminCRM)
	a.GET("/crm/:id/authorize", s.authorizeAdminCRM)
	a.POST("/crm/:id/sync", s.syncAdminCRM)
	a.GET("/crm/:id/mapping", s.showAdminMapping)
	a.POST("/crm/:id/mapping", s.saveAdminMapping)
	a.POST("/crm/:id/mapping/preview", s.previewAdminMapping)

	a.GET("/phonebooks", s.listAdminPhonebooks)
	a.POST("/phonebooks", s.createAdminPhonebook)
	a.GET("/phonebooks/:id", s.showAdminPhonebook)
	e.POST("/admin/phonebooks/:id/import", s.importAdminContacts,
		s.adminErrors, s.adminBodyLimit(s.cfg.MaxImportBytes), s.adminCSRF(), s.requireAdmin)
	a.GET("/contacts/:id", s.showAdminContact)

	a.GET("/calls", s.listAdminCalls)
	a.GET("/calls/:id", s.showAdminCall)
	a.POST("/calls/:id/notes", s.saveAdminCallNotes)
	a.POST("/call-logs/retry", s.retryFailedAdminCallLogs)
	a.POST("/call-logs/:id/retry", s.retryAdminCallLog)
	a.POST("/call-logs/:id/skip", s.skipAdminCallLog)

	a.GET("/users", s.listAdminUsers)
	a.POST("/users", s.createAdminUser)
	a.POST("/users/:id", s.updateAdminUser)
	a.POST("/keys", s.createAdminKey)
	a.POST("/keys/:id/revoke", s.revokeAdminKey)

	a.RouteNotFound("/*", s.adminNotFound)
}
