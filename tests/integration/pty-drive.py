#!/usr/bin/env python3
"""Drive an interactive command through a pseudo-terminal, as a user would.

    pty-drive.py [--no-tty] STEPS -- COMMAND [ARG...]

COMMAND runs with its stdin, stdout and stderr on a new pseudo-terminal
(with --no-tty: stdin from /dev/null, stdout and stderr on a pipe, no
controlling terminal), SIGINT at its default. STEPS is a file of lines,
each one step, run in order:

    expect REGEX    wait until the output since the last match matches
    send TEXT       type TEXT (Python escapes: \\n is Enter)
    intr            Ctrl-C (with --no-tty: SIGINT to the command)
    waitfile PATH   wait until PATH exists
    rm PATH         remove PATH (a test's "go on" signal to its hook)
    sh COMMAND      run COMMAND with sh -c, the groups of the last expect's
                    match in $M1, $M2...; it must succeed

Every wait gives up after 90 s. Prints everything the command wrote, then
"exit: N" (N: its exit status, or 128 + the signal that killed it), and
exits 0; 1 if a step timed out (what was read so far is printed first)."""
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

TIMEOUT = 90


class Run:
    def __init__(self, argv, tty):
        self.out = b""
        self.mark = 0
        self.groups = ()
        self.tty = tty
        if tty:
            master, slave = pty.openpty()
            self.proc = subprocess.Popen(
                argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                preexec_fn=self._child_tty, close_fds=True)
            os.close(slave)
            self.fd = master
        else:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
            self.fd = self.proc.stdout.fileno()

    @staticmethod
    def _child_tty():
        import fcntl
        import termios
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    def pump(self, wait):
        r, _, _ = select.select([self.fd], [], [], wait)
        if not r:
            return True
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            data = b""
        self.out += data
        return bool(data)

    def until(self, what, cond):
        end = time.monotonic() + TIMEOUT
        while not cond():
            if time.monotonic() > end:
                raise TimeoutError(what)
            if not self.pump(0.1) and self.proc.poll() is not None and not cond():
                raise TimeoutError(what + " (the command ended)")

    def expect(self, regex):
        def found():
            m = re.search(regex.encode(), self.out[self.mark:])
            if m:
                self.mark += m.end()
                self.groups = tuple(g.decode(errors="replace") for g in m.groups())
            return m is not None
        self.until("expect " + regex, found)

    def send(self, text):
        os.write(self.fd, text.encode().decode("unicode_escape").encode())

    def intr(self):
        if self.tty:
            os.write(self.fd, b"\x03")
        else:
            self.proc.send_signal(signal.SIGINT)

    def finish(self):
        end = time.monotonic() + TIMEOUT
        while self.proc.poll() is None or self.pump(0):
            if time.monotonic() > end:
                raise TimeoutError("the command to end")
            self.pump(0.1)
        rc = self.proc.returncode
        return 128 - rc if rc < 0 else rc


def main():
    args = sys.argv[1:]
    tty = True
    if args and args[0] == "--no-tty":
        tty = False
        args = args[1:]
    steps_file, sep, argv = args[0], args[1], args[2:]
    assert sep == "--" and argv, __doc__
    with open(steps_file) as f:
        steps = [line.rstrip("\n").split(" ", 1) for line in f if line.strip()]
    run = Run(argv, tty)
    try:
        for step in steps:
            op, arg = step[0], step[1] if len(step) > 1 else ""
            if op == "expect":
                run.expect(arg)
            elif op == "send":
                run.send(arg)
            elif op == "intr":
                run.intr()
            elif op == "waitfile":
                run.until("waitfile " + arg, lambda: os.path.exists(arg))
            elif op == "rm":
                os.unlink(arg)
            elif op == "sh":
                env = dict(os.environ)
                env.update({"M%d" % (i + 1): g for i, g in enumerate(run.groups)})
                subprocess.run(["sh", "-c", arg], env=env, check=True)
            else:
                raise ValueError("unknown step " + op)
        rc = run.finish()
    except TimeoutError as e:
        sys.stdout.write(run.out.decode(errors="replace"))
        sys.stdout.write("\npty-drive: timed out waiting for %s\n" % e)
        run.proc.kill()
        return 1
    sys.stdout.write(run.out.decode(errors="replace").replace("\r\n", "\n"))
    sys.stdout.write("\nexit: %d\n" % rc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
