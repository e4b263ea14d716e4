"""octant.core.memory: malloc's thresholds are set (glibc), so that a freed large block goes back to the system."""
import subprocess
import sys

CHECK = """
import ctypes, ctypes.util, sys
import psutil
from octant.core.memory import return_large_blocks
if sys.argv[1] == "set":
    assert return_large_blocks()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
process = psutil.Process()
for size in (1 << 20, 1 << 19):  # freeing the first raises glibc's own threshold: the second come from the heap
    blocks = [libc.malloc(size) for _ in range(401)]
    for block in blocks:
        ctypes.memset(block, 1, size)
    held = process.memory_info().rss
    for block in blocks[:-1]:  # the last one, kept, keeps the heap from shrinking at its top
        libc.free(block)
print(int((held - process.memory_info().rss) / (1 << 20)))
"""


def freed_mb(how: str) -> int:
    return int(subprocess.run([sys.executable, "-c", CHECK, how], capture_output=True, text=True, check=True).stdout)


def test_a_freed_large_block_leaves_the_process():
    assert freed_mb("set") >= 190
    assert freed_mb("default") < 50  # what the setting changes: glibc alone keeps them
