"""``python -m greeter``: greet the world, and use the native extension when it is built."""

from __future__ import annotations

from greeter import greet

print(greet("world"))
try:
    import fastsum
except ImportError:
    print("fastsum is not built yet: run 'ivpm build'")
else:
    print(f"fastsum.add(2, 3) = {fastsum.add(2, 3)} (debug build: {fastsum.DEBUG_BUILD})")
