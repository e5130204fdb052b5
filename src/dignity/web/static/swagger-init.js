// Starts Swagger UI on the API page from a file, so the page needs no inline script.
// validatorUrl: null stops Swagger UI from loading its badge from validator.swagger.io (a third
// party, which would learn who reads these docs); the CSP would block it anyway.
window.addEventListener("DOMContentLoaded", function () {
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({
    url: node.dataset.specUrl, domNode: node, deepLinking: false, validatorUrl: null
  });
});
