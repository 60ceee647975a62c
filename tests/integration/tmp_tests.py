"""tmp_tests.py: what the test scripts that need no server share
(test_sheet_cli.py, test_sheet_pdf.py): a failure and a skip, `check`, and
the runner that gives each scenario its own temporary folder and returns the
exit code ctest reads (0 passed, 1 failed, 77 skipped)."""
import shutil
import sys
import tempfile


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)
    print("  ok:", what, flush=True)


def run_in_tmp(tests, prefix):
    """Runs the scenarios named on the command line (all when none)."""
    failed = skipped = 0
    for name in sys.argv[1:] or list(tests):
        print(f"== {name}", flush=True)
        tmp = tempfile.mkdtemp(prefix=prefix)
        try:
            tests[name](tmp)
            print(f"== {name}: passed")
        except Skip as e:
            skipped += 1
            print(f"== {name}: SKIP: {e}")
        except Fail as e:
            failed += 1
            print(f"== {name}: FAILED: {e}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 77 if skipped else 0
