// Starts Swagger UI on the gateway's own OpenAPI document. The settings keep
// the page from contacting any other host: validatorUrl null turns off the
// badge that sends the document to validator.swagger.io.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true,
  });
});
