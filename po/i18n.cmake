# po/i18n.cmake: the English catalogue of the client (French is the source
# language, nothing to build for it). msgfmt --check compiles po/en.po into
# ${CMAKE_BINARY_DIR}/share/locale/en/LC_MESSAGES/bilan.mo, the place
# client/i18n.c looks for it next to the program (build/client/bilan ->
# build/share/locale; /usr/bin/bilan -> /usr/share/locale once installed).
# Built with the `bilan` target, so a fresh build speaks English at once.
find_program(BILAN_MSGFMT msgfmt)
if(NOT BILAN_MSGFMT)
  message(FATAL_ERROR "msgfmt not found: install gettext (scripts/deps.sh)")
endif()
set(BILAN_LOCALE_DIR ${CMAKE_BINARY_DIR}/share/locale)
set(BILAN_EN_MO ${BILAN_LOCALE_DIR}/en/LC_MESSAGES/bilan.mo)
add_custom_command(
  OUTPUT ${BILAN_EN_MO}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${BILAN_LOCALE_DIR}/en/LC_MESSAGES
  COMMAND ${BILAN_MSGFMT} --check -o ${BILAN_EN_MO} ${PROJECT_SOURCE_DIR}/po/en.po
  DEPENDS ${PROJECT_SOURCE_DIR}/po/en.po
  COMMENT "msgfmt --check po/en.po -> share/locale/en/LC_MESSAGES/bilan.mo"
  VERBATIM)
add_custom_target(bilan-catalogue DEPENDS ${BILAN_EN_MO})
add_dependencies(bilan bilan-catalogue)
install(FILES ${BILAN_EN_MO} DESTINATION share/locale/en/LC_MESSAGES COMPONENT client)
