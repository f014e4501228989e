// The API documentation page (/api/docs): Swagger UI over /api/openapi.json, read-only (no
// "try it out": calls need a bearer token and act on real data), no external validator.
(function () {
  "use strict";
  var node = document.getElementById("api-docs");
  if (!node || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: node.getAttribute("data-spec-url"),
    domNode: node,
    deepLinking: true,
    validatorUrl: null,
    supportedSubmitMethods: [],
    defaultModelsExpandDepth: 0
  });
})();
