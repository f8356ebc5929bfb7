#!/bin/bash
# Run the userspace unit test binaries given as arguments.
# Exit 0 only if every one passed.  IOBAND_LONG=1 (make check-long) feeds
# the fuzzers 20 million lines, over four seeds other than CI's.
rc=0
for t in "$@"; do
	echo "unit: $(basename "$t")"
	case $(basename "$t") in
	fuzz-*)
		if [ -n "${IOBAND_LONG:-}" ]; then
			for seed in 2 3 4 5; do
				"$t" 5000000 $seed || rc=1
			done
			continue
		fi
		;;
	esac
	"$t" || rc=1
done
exit $rc
