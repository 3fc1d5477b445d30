#!/usr/bin/env python3
"""Parse an image recipe with BitBake and write one of its shell tasks as
the script BitBake itself would run (bb.build.exec_func_shell's run file).

Usage (in a BitBake build folder):
    task-script.py BITBAKE_LIB RECIPE TASK RUNFILE REPORT [NAME=VALUE...]

A fakeroot task gets the environment bitbake-worker gives it (FAKEROOTENV,
exported), except that each NAME=VALUE given replaces FAKEROOTENV's: the
script runs in the build host's pseudo, not in a pseudo-native that was
never built.

REPORT gets a JSON object (BitBake writes its notes to standard output):
the task's flags and dependencies as BitBake parsed them, and the values of
the variables named on standard input (one a line).
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
import bb.tinfoil  # noqa: E402  (found through the path given)


def main():
    recipe, task, out, report = sys.argv[2:6]
    session = dict(arg.split("=", 1) for arg in sys.argv[6:])
    names = [line.strip() for line in sys.stdin if line.strip()]
    with bb.tinfoil.Tinfoil() as tinfoil:
        tinfoil.prepare(config_only=True)
        d = tinfoil.parse_recipe_file(recipe)
        d.delVarFlag("PWD", "export")
        if d.getVarFlag(task, "fakeroot"):
            for var in (d.getVar("FAKEROOTENV") or "").split():
                key, value = var.split("=", 1)
                d.setVar(key, session.get(key, value))
                d.setVarFlag(key, "export", "1")
        with open(out, "w") as script:
            script.write(bb.build.shell_trap_code())
            bb.data.emit_func(task, script, d)
            script.write("%s\n" % task)
            script.write("ret=$?\ntrap '' 0\nexit $ret\n")
        parsed = {
            "fakeroot": d.getVarFlag(task, "fakeroot") or "",
            "deps": d.getVarFlag(task, "deps") or [],
            "imageDeps": d.getVarFlag("do_image", "deps") or [],
            "vars": {name: d.getVar(name) or "" for name in names},
        }
    with open(report, "w") as f:
        json.dump(parsed, f)


main()
