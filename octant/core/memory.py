"""Memory given back to the system after the large, short-lived buffers of the live updates (a broadcast's
donor lists: about 80 MB at 1,000,000 allocations, read, framed and let go every few seconds).

glibc's malloc raises its mmap threshold each time a large block is freed, so that later blocks of that
size come from the heap, where they fragment it and the process's RSS only grows; and every thread that
allocates (the ORM's, zlib's) may get an arena of its own. Fixing the threshold keeps blocks of 128 kB and
more in mappings of their own, returned to the system when freed, and two arenas bound the rest. Done as
the Celery app loads (octant.celery), which every process does as Django starts (ChainConfig.ready): the
server's and the workers'; nothing on a system without glibc."""
import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
LARGE = 128 * 1024  # bytes: blocks from here on are mapped on their own


def return_large_blocks() -> bool:
    """Set malloc's thresholds as above; False where there is no glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return all(mallopt(option, value) == 1 for option, value in (
        (M_MMAP_THRESHOLD, LARGE), (M_TRIM_THRESHOLD, 2 * LARGE), (M_ARENA_MAX, 2)))
