// Starts Swagger UI on the API page from a file, so the page needs no inline script.
window.addEventListener("DOMContentLoaded", function () {
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({ url: node.dataset.specUrl, domNode: node, deepLinking: false });
});
