"""Drives a command in a pseudo-terminal for the lifecycle tests: like
test/harness/pty_run.py, with an overall time limit long enough for a deploy.

Usage: python3 pty_drive.py TIMEOUT_S SCRIPT_JSON -- COMMAND [ARGS...]
SCRIPT_JSON is a list of [expect_regex, keys_to_send]. Prints everything the terminal
showed; exits with the command's exit code (124 on timeout).
"""

import json
import os
import pty
import re
import select
import signal
import struct
import sys
import time


def main() -> int:
    sep = sys.argv.index("--")
    timeout = float(sys.argv[1])
    script = json.loads(sys.argv[2])
    command = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    try:
        import fcntl
        import termios
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    except Exception:
        pass
    seen = b""
    deadline = time.time() + timeout
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
        done, status = os.waitpid(pid, os.WNOHANG)
        if done and not ready:
            break
        if time.time() > deadline:
            os.kill(pid, signal.SIGKILL)
            return 124
    if status is None or not os.WIFEXITED(status):
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
