#!/usr/bin/env bash
# po-update.sh: refreshes the message catalogue after sentences changed in
# the client's source.
#   1. po/bilan.pot: every sentence wrapped in _() or N_() in client/*.c,
#      client/media/*.c, client/ui/*.c and client/doc/*.c (xgettext, French source, UTF-8);
#   2. po/en.po: merged with the new template (msgmerge): new sentences come
#      in untranslated, changed ones are marked "fuzzy", gone ones obsolete.
# Then translate what msgfmt --statistics reports as untranslated or fuzzy in
# po/en.po (remove the "#, fuzzy" line once checked) and run
# `ctest -R i18n` (the catalogue test fails while any is left).
# Usage: scripts/po-update.sh            (from anywhere in the repository)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Sorted, so the template does not change with the order of the shell's glob.
mapfile -t files < <(ls client/*.c client/media/*.c client/ui/*.c client/doc/*.c 2>/dev/null | LC_ALL=C sort)
xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ \
  --add-comments=TRANSLATORS: --package-name=bilan --msgid-bugs-address="the issue tracker of Bilan Remote" \
  --no-wrap --sort-by-file -o po/bilan.pot "${files[@]}"
# The template's date changes on every run: keep a stable header so that
# only real changes show in git.
sed -i '/^"POT-Creation-Date:/d' po/bilan.pot
if [ -f po/en.po ]; then
  msgmerge --quiet --update --backup=none --no-wrap --sort-by-file po/en.po po/bilan.pot
else
  # Not msginit: for "en" it copies every French msgid as its "translation".
  sed -e 's/^"Language: \\n"$/"Language: en\\n"/' po/bilan.pot > po/en.po
fi
msgfmt --check --statistics -o /dev/null po/en.po
