#!/usr/bin/env python3
"""test_room_words.py: the console room as a person reads it (client/room_news.c,
client/term.c): two people at terminals (pseudo-terminals), French sentences
only, people named in plain words, the consultant's name from its account,
their own lines marked, a message from the room never splitting the line being
typed, the "not counted" notice, a phase typed with capitals and accents (and a
typo that gets a suggestion), the hours said on change, Ctrl-D leaving.

Real server and clients on loopback, real TLS. Nothing sleeps: every wait is on
what a terminal shows.

Run one scenario: test_room_words.py NAME; all: test_room_words.py.
"""
import os
import re

from harness import (CLIENT_BIN, Client, PtyProc, Server, TestFailure, check, run_tests,
                     tmpdir)

CODE = r"Code à lire à voix haute avec (.+) : (\d{3} \d{3})$"
# Words a French sentence of ours never contains; the machine lines do.
MACHINE = re.compile(r"\[(room|e2e|hours|chat|file|info)\]|\bslot=|\bgen=|\bdevice=")


def env_fr():
    e = dict(os.environ)
    for k in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        e.pop(k, None)
    e["LANG"] = "fr_FR.UTF-8"
    return e


class Scene:
    def __init__(self, name):
        self.tmp = tmpdir("words-" + name)
        self.server = Server(self.tmp)
        r = self.server.admin("consultant", "add", "Marie Dupont")
        link = re.search(r"(https://\S+/e/\S+)", r.stdout)
        if not link:
            raise TestFailure("consultant add printed no enrolment link:\n" + r.stdout)
        self.consultant = Client(self.tmp, "consultant")
        self.consultant.enrol(link.group(1))
        self.link = self.consultant.create_bilan("Bilan mots " + name)
        r = self.consultant.ok("bilan", "list")
        self.bilan = re.findall(r"\bbilan=([A-Za-z0-9_-]{1,64})", r.stdout)[-1]
        self.beneficiary = Client(self.tmp, "beneficiary")

    def join(self, who, target, home=None):
        # "--words": the harness would add --machine to a join otherwise.
        env = env_fr()
        if home:
            env["HOME"] = home
            env.pop("XDG_DOWNLOAD_DIR", None)
        return PtyProc(who.argv("join", target, "--headless", "--words"), env=env,
                       name=f"bilan[{who.name}]")

    def close(self):
        return self.server.stop()


def t_plain_french():
    s = Scene("plain")
    pa = pb = None
    try:
        pa = s.join(s.consultant, s.bilan)
        pa.wait_line(r"^> ?Vous êtes dans la salle\.$|^Vous êtes dans la salle\.$")
        pb = s.join(s.beneficiary, s.link)
        pb.wait_line(r"Dans la salle : Marie Dupont, votre consultante / votre consultant\.$")
        check(True, "the beneficiary is told who is there, with the consultant's name")
        pa.wait_line(r"Arrivée dans la salle : le ou la bénéficiaire\.$")
        pa.wait_line(r"Aucune séance ouverte : ce temps n'est pas compté")
        check(True, "the consultant is told the time is not counted without a session")
        ma, mb = pa.wait_line(CODE), pb.wait_line(CODE)
        check(ma.group(2) == mb.group(2) and ma.group(1) == "le ou la bénéficiaire" and
              mb.group(1) == "Marie Dupont",
              f"both read the same code aloud, naming each other ({ma.group(2)})")
        pa.type("/oui\r")
        pb.type("/Oui\r")  # a capital, as a phone keyboard would type it
        pa.wait_line(r"Code confirmé : personne d'autre ne peut voir ni entendre votre échange avec "
                     r"le ou la bénéficiaire\.")
        pb.wait_line(r"Code confirmé")
        check(True, "the code is confirmed on both sides")

        # A request the server refuses in the room is said, not silent.
        pb.type("/seance preliminaire\r")
        pb.wait_line(r"^(> )?Le serveur a refusé : votre rôle ne permet pas cette action\.$")
        check(True, "the beneficiary's /seance: the server's refusal is said in words")

        # A phase with a typo gets a suggestion; capitals and accents are fine.
        pa.type("/seance prelimnaire\r")
        pa.wait_line(r"« prelimnaire » n'est pas une phase\. Vouliez-vous dire « preliminaire » \?")
        pa.type("/séance Préliminaire\r")
        pa.wait_line(r"Séance ouverte \(Phase préliminaire\) : le temps passé ensemble est compté\.")
        pb.wait_line(r"Séance ouverte \(Phase préliminaire\)")
        pb.wait_line(r"Heures en face à face : \d+ h \d\d sur 16 h 00, il reste \d+ h \d\d\.")
        check(True, "the phase typed with capitals and accents opened the session; hours are said")
        pa.type("/seance suivi\r")  # a second session while one is open: told how to change phase
        pa.wait_line(r"Impossible d'ouvrir une séance : une séance est déjà ouverte ; pour changer de phase, "
                     r"terminez-la d'abord \(/fin\)")
        check(True, "a session opened twice says one is open and how to change phase")

        # The consultant types half a line; a message arrives meanwhile.
        pa.type("en cours de fr")
        text = "Bonjour, ça va ? " + os.urandom(3).hex()
        pb.type(text + "\r")
        pb.wait_line(r"^(> )?Vous : " + re.escape(text) + "$")
        check(True, "the beneficiary's own line is marked 'Vous'")
        pa.wait_line(r"^Bénéficiaire : " + re.escape(text) + "$")
        # The redraw follows the message: wait for it (bounded) before judging.
        after = pa.wait_raw(r"(.{4})Bénéficiaire : " + re.escape(text) + r"\r?\n(\r\x1b\[K)?> en cours de fr")
        check(after is not None and after.group(1) == "\r\x1b[K",
              "the message is printed above the line being typed, which is drawn again whole")
        pa.type("appe\r")
        pb.wait_line(r"Marie Dupont : en cours de frappe$")
        check(True, "the line typed around the message arrives whole")

        # Hours: said on change, never the same sentence twice in a row.
        for p in (pa, pb):
            hours = [l for l in p.lines if "Heures en face à face" in l]
            check(all(a != b for a, b in zip(hours, hours[1:])), "the hours are said only when they change")

        # Nothing a person reads is a machine line.
        for p in (pa, pb):
            bad = [l for l in p.lines if MACHINE.search(l)]
            check(not bad, f"{p.name}: no machine line or slot number ({bad[:2]})")
        # ... and no English sentence (the word list of test_i18n.py).
        from test_i18n import english_words
        for p in (pa, pb):
            en = [l for l in p.lines if english_words(l)]
            check(not en, f"{p.name}: no English sentence in the room ({en[:3]})")

        # Ctrl-D on an empty line leaves, and says so.
        pb.type("\x04")
        pb.wait_line(r"Fin de la saisie \(Ctrl-D\) : vous quittez la salle\.")
        check(pb.wait_exit() == 0, "Ctrl-D: the beneficiary leaves and exits 0")
        pa.wait_line(r"Le ou la bénéficiaire a quitté la salle\.")
        pa.type("/quitter\r")
        check(pa.wait_exit() == 0, "/quitter: the consultant leaves and exits 0")
        check(s.close() == 0, "server exits 0")
    except Exception:
        for p in (pa, pb):
            if p:
                p.kill()
        s.close()
        raise


def t_no_dead_ends():
    """A code rejected by mistake says how to get a new one, and rejoining
    gives one; a second window of the same room on the same device says so;
    a bilan id typed with other capitals works, one with a typo gets a
    suggestion."""
    s = Scene("dead-ends")
    pa = pb = pb2 = None
    try:
        pa = s.join(s.consultant, s.bilan)
        pb = s.join(s.beneficiary, s.link)
        first = pa.wait_line(CODE).group(2)
        pb.wait_line(CODE)
        pb.type("/non\r")
        pb.wait_line(r"Vous avez refusé le code : rien n'est échangé avec Marie Dupont\.")
        pb.wait_line(r"Si c'était une erreur, quittez \(/quitter\) puis rejoignez la salle : un nouveau "
                     r"code sera affiché\.")
        pa.wait_line(r"Le ou la bénéficiaire a refusé le code : rien n'est échangé entre vous\.")
        check(True, "both are told the code was refused, and how to get a new one")
        pb.type("/oui\r")  # changing one's mind once refused: told why it is too late, and what to do
        pb.wait_line(r"Aucun code n'attend de réponse\. La liaison chiffrée avec Marie Dupont.* a été "
                     r"arrêtée : son code ne peut plus être confirmé\. Pour recommencer, quittez")
        check(True, "a code answered after the pair ended: told why, and how to start again")
        pa.type("/fin\r")  # no session open yet: told so, in plain words
        pa.wait_line(r"^Impossible de clore la séance : aucune séance n'est ouverte\.?$")
        check(True, "/fin without an open session says there is none")
        pb.type("/quitter\r")
        check(pb.wait_exit() == 0, "the beneficiary leaves")
        pa.wait_line(r"Le ou la bénéficiaire a quitté la salle\.")
        n = len(pa.lines)
        pb = s.join(s.beneficiary, s.link)
        again = pa.wait_line(CODE, start=n).group(2)
        pb.wait_line(CODE)
        check(again != first, f"rejoining shows a new code ({first} then {again})")
        pa.type("/oui\r")
        pb.type("/oui\r")
        pa.wait_line(r"Code confirmé", start=n)
        pb.wait_line(r"Code confirmé")
        check(True, "the new code can be confirmed: the pair works again")

        # The same room again from the same device: a clear sentence, exit 1.
        r = s.beneficiary.run("join", s.link, "--headless", "--words")
        check(r.returncode == 1 and "déjà ouverte dans une autre fenêtre" in r.stderr,
              f"a second window of the same room says so ({r.returncode}: {r.stderr.strip()[:120]})")
        check(pb.p.poll() is None and pa.count(r"bénéficiaire a quitté") == 1,
              "the first window is still in the room")

        # A bilan id with other capitals is the same bilan; a typo gets a suggestion.
        pa.type("/quitter\r")
        check(pa.wait_exit() == 0, "the consultant leaves")
        typo = s.bilan[:-1] + ("x" if s.bilan[-1] != "x" else "y")
        r = s.consultant.run("join", typo, "--headless", "--words", "--duration", "1")
        check(r.returncode == 1 and f"Vouliez-vous dire « {s.bilan} »" in r.stderr,
              "a bilan id with a typo gets the right one suggested")
        swapped = s.bilan.swapcase()
        if swapped != s.bilan:
            r = s.consultant.run("join", swapped, "--headless", "--words", "--duration", "1")
            check(r.returncode == 0 and "Vous êtes dans la salle" in r.stdout,
                  f"a bilan id typed with other capitals joins that bilan ({r.returncode} {r.stderr[-200:]})")
        pb.type("\x04")
        check(pb.wait_exit() == 0, "Ctrl-D leaves")
        check(s.close() == 0, "server exits 0")
    except Exception:
        for p in (pa, pb, pb2):
            if p:
                p.kill()
        s.close()
        raise


def t_files_in_the_room():
    """Files sent from inside the room (/envoyer), offered to the other person
    who accepts (/accepter: into their downloads folder) or refuses
    (/refuser); the sender is told either way."""
    s = Scene("files")
    pa = pb = None
    homes = {}
    for who in ("a", "b"):
        homes[who] = os.path.join(s.tmp, "home-" + who)
        os.makedirs(os.path.join(homes[who], "Téléchargements"))
    try:
        pa = s.join(s.consultant, s.bilan, home=homes["a"])
        pb = s.join(s.beneficiary, s.link, home=homes["b"])
        pa.wait_line(CODE)
        pb.wait_line(CODE)
        pa.type("/oui\r")
        pb.type("/oui\r")
        pa.wait_line(r"Code confirmé")
        pb.wait_line(r"Code confirmé")
        cv = os.path.join(homes["b"], "cv final.pdf")
        with open(cv, "wb") as f:
            f.write(os.urandom(300_000))
        pb.type("/envoyer ~/cv final.pdf\r")
        pb.wait_line(r"Envoi de « cv final\.pdf » \(300,0 ko\)…")
        pa.wait_line(r"Le ou la bénéficiaire vous envoie « cv final\.pdf » \(300,0 ko\)\. Tapez /accepter pour "
                     r"l'enregistrer dans .*/Téléchargements, ou /refuser\.")
        check(True, "the file sent from the room is offered to the other person, with its size")
        pb.wait_line(r"Fichier envoyé : « cv final\.pdf »")
        dl = os.path.join(homes["a"], "Téléchargements")
        check(os.listdir(dl) == [] or all(n.startswith(".") for n in os.listdir(dl)),
              "nothing is named in the downloads folder before the person said yes")
        pa.type("/accepter\r")
        pa.wait_line(r"Fichier reçu, envoyé par le ou la bénéficiaire : « cv final\.pdf » \(300,0 ko\), enregistré ici : "
                     + re.escape(os.path.join(dl, "cv final.pdf")) + "$")
        with open(cv, "rb") as f1, open(os.path.join(dl, "cv final.pdf"), "rb") as f2:
            check(f1.read() == f2.read(), "the accepted file is the one sent, byte for byte")
        pb.wait_line(r"Marie Dupont a bien reçu « cv final\.pdf »\.")
        check(True, "the sender is told the file arrived")

        # The other way, refused.
        prog = os.path.join(homes["a"], "programme.txt")
        with open(prog, "w") as f:
            f.write("Programme personnalisé\n")
        pa.type("/envoyer '" + prog + "'\r")  # quoted, as a terminal's drag and drop gives it
        pb.wait_line(r"vous envoie « programme\.txt »")
        pb.type("/refuser\r")
        pb.wait_line(r"1 fichier refusé\.")
        pa.wait_line(r"Le ou la bénéficiaire n'a pas accepté « programme\.txt »")
        check(True, "a refused file: the sender is told")
        dlb = os.path.join(homes["b"], "Téléchargements")
        check(os.listdir(dlb) == [], f"nothing left in the refusing side's folder ({os.listdir(dlb)})")
        pb.type("/accepter\r")
        pb.wait_line(r"Aucun fichier n'attend votre réponse\.")
        pb.type("/envoyer /nulle/part.pdf\r")
        pb.wait_line(r"Fichier non envoyé : impossible d'ouvrir /nulle/part\.pdf")
        pb.type("/envoyr x\r")
        pb.wait_line(r"Commande inconnue /envoyr\. Vouliez-vous dire /envoyer \?")
        check(True, "a missing file and a mistyped command say what to do")
        for p in (pa, pb):
            p.type("/quitter\r")
            check(p.wait_exit() == 0, f"{p.name} leaves")
        check(s.close() == 0, "server exits 0")
    except Exception:
        for p in (pa, pb):
            if p:
                p.kill()
        s.close()
        raise


if __name__ == "__main__":
    run_tests({"plain_french": t_plain_french, "no_dead_ends": t_no_dead_ends,
               "files_in_the_room": t_files_in_the_room})
