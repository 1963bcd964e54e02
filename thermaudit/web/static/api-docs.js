// Swagger UI of /api/docs, from the server's own copy of the swagger-ui-py package (no CDN,
// no inline script: the Content-Security-Policy allows scripts of this server only).
(function () {
  var box = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: box.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    validatorUrl: null, // never ask validator.swagger.io
    showExtensions: true,
  });
})();
