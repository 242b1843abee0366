# web/: the static dashboard, served by passd at /.
webdir = $(pkgdatadir)/web
dist_web_DATA = web/index.html web/app.js web/style.css web/actions.js
