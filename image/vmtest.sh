# shellcheck shell=sh
# Test mode of /init (sourced; $test_name is set): run one test of
# tests/vm/ as the host would run a namespace test, with the image's build
# and source directories, and report its exit status on the console where
# image/vm-run.sh reads it. Then power off: the VM never reboots.
vm_test_run() {
	local t="/fwd/src/tests/vm/$test_name.sh" rc
	case "$test_name" in
	*/* | .*) rc=2 && echo "vmtest: bad test name $test_name" >&2 ;;
	*)
		if [ -f "$t" ]; then
			echo "FWD-VM-START $test_name kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)"
			# stdin from nowhere: the test cannot wait on the console
			bash "$t" /fwd/build /fwd/src </dev/null
			rc=$?
		else
			rc=2 && echo "vmtest: no test $t" >&2
		fi
		;;
	esac
	sync
	echo "FWD-VM-RESULT $test_name rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
}
vm_test_run
poweroff -f
