// Renders the reference from the spec this server serves. validatorUrl is
// null so the page never calls an outside validator.
window.ui = SwaggerUIBundle({
  url: "/openapi.yaml",
  dom_id: "#reference",
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
  displayRequestDuration: true,
  persistAuthorization: false,
});
