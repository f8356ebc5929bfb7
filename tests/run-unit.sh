#!/bin/bash
# Run the userspace unit test binaries given as arguments.
# Exit 0 only if every one passed.
rc=0
for t in "$@"; do
	echo "unit: $(basename "$t")"
	"$t" || rc=1
done
exit $rc
