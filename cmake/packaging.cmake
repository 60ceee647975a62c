# packaging.cmake: the Debian packages, built by CPack from this build
# (`cpack -G DEB` in the build folder, or the target `package`):
#   bilan         component "client": /usr/bin/bilan, the desktop entry that
#                 registers the bilan: URL scheme (Exec=bilan open %u), and
#                 the gettext catalogues (their install rule is client/'s,
#                 in the component "client");
#   bilan-server  component "server": /usr/bin/bilan-server, its systemd
#                 unit, /etc/default/bilan-server, and maintainer scripts
#                 that create the system user bilan-server and its data
#                 folder /var/lib/bilan-server.
# Versions come from project(VERSION); dependencies from dpkg-shlibdeps
# (the libraries the binaries really link), plus the font the window needs.
# Included last by the top-level CMakeLists.txt: the targets exist by then.
set(BILAN_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging)

# Component rules of our own: packaging says where things go in a package;
# server/ keeps its plain `install(TARGETS bilan-server ...)` for `make install`.
install(TARGETS bilan RUNTIME DESTINATION bin COMPONENT client)
install(FILES ${BILAN_PKG_DIR}/bilan.desktop DESTINATION share/applications COMPONENT client)
install(TARGETS bilan-server RUNTIME DESTINATION bin COMPONENT server)
install(FILES ${BILAN_PKG_DIR}/bilan-server.service DESTINATION lib/systemd/system COMPONENT server)
install(FILES ${BILAN_PKG_DIR}/bilan-server.default DESTINATION /etc/default
        RENAME bilan-server COMPONENT server)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bilan)
set(CPACK_PACKAGE_VENDOR "Bilan Remote")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Bilan Remote <bilan@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL client server)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)          # bilan_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://bilan.example.fr/")
# Files are root's, whatever umask built them.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_CLIENT_PACKAGE_NAME bilan)
set(CPACK_COMPONENT_CLIENT_DESCRIPTION
    "Bilan Remote client: remote career assessments (bilans de compétences)
Joins a bilan's room from an invite link: video, voice, chat and files,
encrypted end to end, with the face-to-face hours counted by the server.
Registers the bilan: links of the server's landing page.")
# SDL2_ttf draws the window's text with a DejaVu font.
set(CPACK_DEBIAN_CLIENT_PACKAGE_DEPENDS "fonts-dejavu-core")
set(CPACK_DEBIAN_CLIENT_PACKAGE_RECOMMENDS "desktop-file-utils")

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME bilan-server)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
set(CPACK_COMPONENT_SERVER_DESCRIPTION
    "Bilan Remote server: signalling and relay for remote career assessments
Secure WebSocket relay (TLS 1.3) for bilan rooms, passwordless device
enrolment, the record of face-to-face hours and the French landing page
of invite links. Runs as the system user bilan-server (systemd unit).")
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${BILAN_PKG_DIR}/server/postinst ${BILAN_PKG_DIR}/server/prerm ${BILAN_PKG_DIR}/server/postrm
    ${BILAN_PKG_DIR}/server/conffiles)

include(CPack)
