"""How every workflow job runs Python: ``python run_module.py -m MODULE ARGS`` is ``python -m MODULE ARGS``,
except that a failure of the machine rather than of the code (a full disk, a read-only or unwritable folder,
a quota) ends the job with one line naming the path, e.g.

    error: [Errno 28] No space left on device: 'results/cpu/runs/mnist/maae/m8/seed0/model.pt'

instead of a traceback (maae.io names the file it was writing). Any other error keeps its traceback.
On a machine with several GPUs listed in ``MAAE_GPUS`` the job first takes one of its own (gpu_slot).
"""

from __future__ import annotations

import errno
import runpy
import sys

import gpu_slot

ONE_LINE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] != "-m":
        sys.exit("usage: run_module.py -m MODULE [ARGS...]")
    module = sys.argv[2]
    sys.argv = [module, *sys.argv[3:]]
    gpu_slot.claim()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except OSError as err:
        if err.errno not in ONE_LINE:
            raise
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
