"""Runs a command in a pseudo-terminal and answers its prompts, for tests of what a
person sees on a terminal (prompts, pickers, colour).

Usage: python3 pty_run.py SCRIPT_JSON -- COMMAND [ARGS...]
SCRIPT_JSON is a list of [expect_regex, keys_to_send]; keys may use \\r (Enter) and
\\u001b[B (arrow down). Prints everything the terminal showed (a 120x40 terminal);
exits with the command's exit code, or 124 when the whole run takes longer than
PTY_RUN_TIMEOUT seconds (default 30; a deploy needs minutes).
"""

import json
import os
import pty
import re
import select
import struct
import sys
import time


def main() -> int:
    sep = sys.argv.index("--")
    script = json.loads(sys.argv[1])
    command = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    try:
        import fcntl
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    except OSError:
        pass
    seen = b""
    deadline = time.time() + float(os.environ.get("PTY_RUN_TIMEOUT", "30"))
    step = 0
    status = None
    while True:
        if step < len(script) and re.search(script[step][0].encode(), seen):
            time.sleep(0.2)
            os.write(fd, script[step][1].encode())
            seen = b""
            step += 1
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            seen += chunk
        done, waited = os.waitpid(pid, os.WNOHANG)
        if done:
            status = waited
            if not ready:
                break
        if time.time() > deadline:
            os.kill(pid, 9)
            return 124
    if status is None:
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
