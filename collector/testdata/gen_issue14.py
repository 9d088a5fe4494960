# Generates the canned trees of the cgroup, pressure and sensor sources:
#   cgroup-v2/step0, step1      a unified (cgroup v2) systemd host with docker and kubernetes, 2 s apart
#   cgroup-hybrid/step0, step1  v1 controllers (cpu,cpuacct, memory, blkio, name=systemd) and an empty
#                               cgroup2 at /sys/fs/cgroup/unified, as on the development machines
#   pressure/psi-6.1, psi-5.10  /proc/pressure with and without cpu's "full" line
#   sensors-laptop, sensors-server  /sys/class/hwmon, thermal and power_supply
# Run: python3 testdata/gen_issue14.py
import os, shutil

here = os.path.dirname(os.path.abspath(__file__))


def tree(name, files):
    base = os.path.join(here, name)
    shutil.rmtree(base, ignore_errors=True)
    for path, content in files.items():
        p = os.path.join(base, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w') as f:
            f.write(content)


def psi(some, full=None):
    s = 'some avg10=%.2f avg60=%.2f avg300=%.2f total=123456\n' % some
    if full is not None:
        s += 'full avg10=%.2f avg60=%.2f avg300=%.2f total=654\n' % full
    return s


DOCKER = 'a1b2c3d4e5f6' + '0123456789abcdef' * 3 + '0123'  # 64 hex digits
CRI = 'f00dfeed' * 8
POD = '1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d'
SANDBOX = '57da532e61f066368275b916a2771594'

# ---- cgroup v2 ----
V2 = 'sys/fs/cgroup'


def v2_group(path, procs=None, usage=None, current=None, inactive=None, mx=None, io=None, pressure=None):
    d = V2 + path
    out = {}
    if procs is not None:
        out[d + '/cgroup.procs'] = ''.join('%d\n' % p for p in procs)
    if usage is not None:
        out[d + '/cpu.stat'] = 'usage_usec %d\nuser_usec %d\nsystem_usec %d\nnr_periods 0\n' % (usage, usage * 2 // 3, usage // 3)
    if current is not None:
        out[d + '/memory.current'] = '%d\n' % current
        out[d + '/memory.stat'] = 'anon 1000\nfile 2000\nactive_file 300\ninactive_file %d\nslab 10\n' % inactive
        out[d + '/memory.max'] = mx + '\n'
    if io is not None:
        out[d + '/io.stat'] = ''.join('%s rbytes=%d wbytes=%d rios=10 wios=20 dbytes=0 dios=0\n' % dev for dev in io)
    if pressure is not None:
        for res, text in pressure.items():
            out[d + '/' + res + '.pressure'] = text
    return out


def v2_step(step):
    k = step  # 0 or 1: counters grow by the rates the tests expect over 2 s
    files = {
        'proc/self/mountinfo': '22 1 0:21 / /proc rw,nosuid - proc proc rw\n'
                               '25 20 0:23 / /sys rw,nosuid - sysfs sysfs rw\n'
                               '30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n',
    }
    P = {'cpu': psi((1.5, 1.25, 1.0), (0.5, 0.25, 0.0)), 'memory': psi((0.25, 0.5, 0.75), (0.1, 0.2, 0.3)), 'io': psi((2.0, 1.0, 0.5), (1.0, 0.5, 0.25))}
    # The root: no memory.current (the host's used memory stands in) and no io.stat.
    files.update(v2_group('', procs=[1, 2, 3], usage=1000000000 + k * 3000000, pressure=P))
    files.update(v2_group('/init.scope', procs=[1], usage=5000000 + k * 20000, current=8 << 20, inactive=0, mx='max'))
    files.update(v2_group('/system.slice', procs=[], usage=500000000 + k * 1000000, current=2 << 30, inactive=512 << 20, mx='max',
                          io=[('8:0', 1000 + k * (2 << 20), 2000 + k * (4 << 20)), ('259:0', 5, 7)], pressure=P))
    files.update(v2_group('/system.slice/nginx.service', procs=[100, 101, 102], usage=200000000 + k * 400000, current=100 << 20,
                          inactive=10 << 20, mx='268435456', io=[('8:0', 4096 * (1 + k * 500), 0)],
                          pressure={'cpu': psi((3.0, 2.0, 1.0)), 'memory': psi((0, 0, 0), (0, 0, 0)), 'io': psi((0, 0, 0), (0, 0, 0))}))
    files.update(v2_group('/system.slice/docker-%s.scope' % DOCKER, procs=[200, 201], usage=70000000 + k * 2000000, current=300 << 20,
                          inactive=0, mx='1073741824'))
    files.update(v2_group('/user.slice', procs=[], usage=9000000))
    files.update(v2_group('/user.slice/user-1000.slice', procs=[], usage=9000000))
    files.update(v2_group('/user.slice/user-1000.slice/session-2.scope', procs=[300, 301], usage=9000000 + k * 100000,
                          current=20 << 20, inactive=1 << 20, mx='max'))
    kp = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s.slice' % POD
    files.update(v2_group('/kubepods.slice', procs=[], usage=1))
    files.update(v2_group('/kubepods.slice/kubepods-burstable.slice', procs=[], usage=1))
    files.update(v2_group(kp, procs=[], usage=1))
    files.update(v2_group(kp + '/cri-containerd-%s.scope' % CRI, procs=[400], usage=1000 + k * 1000000))
    # Seven levels below the root: the walk stops at six.
    deep = ''
    for part in ['deep.slice', 'a', 'b', 'c', 'd', 'e', 'f']:
        deep += '/' + part
        files.update(v2_group(deep, procs=[]))
    if step == 0:
        files.update(v2_group('/system.slice/gone.service', procs=[500], usage=100))
    else:
        files.update(v2_group('/system.slice/new.service', procs=[600], usage=800000))
    return files


tree('cgroup-v2/step0', v2_step(0))
tree('cgroup-v2/step1', v2_step(1))

# ---- hybrid: v1 controllers and an empty cgroup2 ----
FS = 'sys/fs/cgroup'


def hybrid_step(step):
    k = step
    files = {
        'proc/self/mountinfo': '''30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
''',
    }
    huge = '9223372036854771712\n'
    cpu = FS + '/cpu,cpuacct'
    files[cpu + '/cgroup.procs'] = '1\n2\n3\n4\n5\n'
    files[cpu + '/cpuacct.usage'] = '%d\n' % (13087652890540 + k * 3000000000)
    files[cpu + '/system.slice/cgroup.procs'] = ''
    files[cpu + '/system.slice/cpuacct.usage'] = '%d\n' % (9000000000 + k * 1000000000)
    files[cpu + '/system.slice/nginx.service/cgroup.procs'] = '100\n101\n102\n'
    files[cpu + '/system.slice/nginx.service/cpuacct.usage'] = '%d\n' % (4000000000 + k * 500000000)
    mem = FS + '/memory'
    files[mem + '/cgroup.procs'] = '1\n2\n3\n4\n'
    files[mem + '/memory.usage_in_bytes'] = '%d\n' % (1580838912)
    files[mem + '/memory.stat'] = 'cache 1\nrss 2\ninactive_file 319488\ntotal_cache 3\ntotal_inactive_file 407044096\n'
    files[mem + '/memory.limit_in_bytes'] = huge
    files[mem + '/system.slice/nginx.service/cgroup.procs'] = '100\n101\n102\n'
    files[mem + '/system.slice/nginx.service/memory.usage_in_bytes'] = '%d\n' % (120 << 20)
    files[mem + '/system.slice/nginx.service/memory.stat'] = 'inactive_file 5\ntotal_inactive_file %d\n' % (20 << 20)
    files[mem + '/system.slice/nginx.service/memory.limit_in_bytes'] = '268435456\n'
    files[mem + '/process_api/%s/cgroup.procs' % SANDBOX] = '1277\n1278\n'
    files[mem + '/process_api/%s/memory.usage_in_bytes' % SANDBOX] = '5218304\n'
    files[mem + '/process_api/%s/memory.stat' % SANDBOX] = 'total_inactive_file 1024\n'
    files[mem + '/process_api/%s/memory.limit_in_bytes' % SANDBOX] = huge
    files[mem + '/process_api/cgroup.procs'] = ''
    files[mem + '/process_api/memory.usage_in_bytes'] = '5218304\n'
    files[mem + '/process_api/memory.stat'] = 'total_inactive_file 1024\n'
    files[mem + '/process_api/memory.limit_in_bytes'] = huge
    blk = FS + '/blkio'
    files[blk + '/cgroup.procs'] = '1\n2\n3\n4\n5\n'
    files[blk + '/blkio.throttle.io_service_bytes_recursive'] = (
        '8:0 Read %d\n8:0 Write %d\n8:0 Sync 0\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 0\n'
        '8:16 Read 10\n8:16 Write 20\n8:16 Total 30\nTotal %d\n') % (1000 + k * (6 << 20), 2000 + k * (2 << 20), 99)
    # nginx's group has only the non-recursive file (the fallback).
    files[blk + '/system.slice/nginx.service/cgroup.procs'] = '100\n101\n102\n'
    files[blk + '/system.slice/nginx.service/blkio.throttle.io_service_bytes'] = '8:0 Read %d\n8:0 Write 0\nTotal 0\n' % (k * 4096 * 100)
    uni = FS + '/unified'
    files[uni + '/cgroup.procs'] = '1\n2\n3\n4\n5\n100\n101\n102\n103\n'
    files[uni + '/cgroup.controllers'] = 'hugetlb\n'
    files[uni + '/cpu.stat'] = 'usage_usec 13072556000\nuser_usec 1\nsystem_usec 2\n'
    files[uni + '/cpu.pressure'] = psi((21.34, 19.4, 8.22), (0, 0, 0))
    files[uni + '/memory.pressure'] = psi((0.45, 0.54, 0.23), (0, 0.14, 0.06))
    files[uni + '/io.pressure'] = psi((0, 0, 0), (0, 0, 0))
    files[uni + '/system.slice/cgroup.procs'] = ''
    files[uni + '/system.slice/cpu.stat'] = 'usage_usec 1\n'
    files[uni + '/system.slice/nginx.service/cgroup.procs'] = '100\n101\n102\n'
    files[uni + '/system.slice/nginx.service/cpu.stat'] = 'usage_usec 1\n'
    files[uni + '/system.slice/nginx.service/cpu.pressure'] = psi((4.0, 3.0, 2.0), (1.0, 0.5, 0.25))
    files[uni + '/system.slice/nginx.service/memory.pressure'] = psi((0, 0, 0), (0, 0, 0))
    files[uni + '/system.slice/nginx.service/io.pressure'] = psi((0, 0, 0), (0, 0, 0))
    # Only in the unified tree: a v2 group with CPU from cpu.stat.
    files[uni + '/system.slice/cron.service/cgroup.procs'] = '103\n'
    files[uni + '/system.slice/cron.service/cpu.stat'] = 'usage_usec %d\n' % (2000000 + k * 200000)
    # name=systemd mirrors the unified tree: not walked when that exists.
    files[FS + '/systemd/cgroup.procs'] = '1\n'
    files[FS + '/systemd/only-in-systemd.scope/cgroup.procs'] = '7\n'
    return files


tree('cgroup-hybrid/step0', hybrid_step(0))
tree('cgroup-hybrid/step1', hybrid_step(1))

# ---- pressure ----
tree('pressure/psi-6.1', {
    'proc/pressure/cpu': psi((21.34, 19.40, 8.22), (0, 0, 0)),
    'proc/pressure/memory': psi((0.45, 0.54, 0.23), (0.00, 0.14, 0.06)),
    'proc/pressure/io': psi((1.14, 0.58, 0.42), (0.24, 0.15, 0.06)),
})
tree('pressure/psi-5.10', {
    'proc/pressure/cpu': psi((5.00, 4.00, 3.00)),
    'proc/pressure/memory': psi((0.00, 0.00, 0.00), (0.00, 0.00, 0.00)),
    'proc/pressure/io': psi((12.50, 10.00, 7.50), (6.25, 5.00, 2.50)),
})

# ---- sensors ----
H = 'sys/class/hwmon/'
T = 'sys/class/thermal/'
PS = 'sys/class/power_supply/'
tree('sensors-laptop', {
    # The hwmon mirror of thermal_zone0.
    H + 'hwmon0/name': 'acpitz\n', H + 'hwmon0/temp1_input': '45000\n', H + 'hwmon0/temp1_crit': '105000\n',
    H + 'hwmon1/name': 'coretemp\n',
    H + 'hwmon1/temp1_label': 'Package id 0\n', H + 'hwmon1/temp1_input': '52000\n', H + 'hwmon1/temp1_max': '84000\n', H + 'hwmon1/temp1_crit': '100000\n',
    H + 'hwmon1/temp2_label': 'Core 0\n', H + 'hwmon1/temp2_input': '50000\n', H + 'hwmon1/temp2_max': '84000\n', H + 'hwmon1/temp2_crit': '100000\n',
    H + 'hwmon1/temp10_label': 'Core 8\n', H + 'hwmon1/temp10_input': '51500\n',
    # A battery's hwmon without temperatures.
    H + 'hwmon2/name': 'BAT0\n', H + 'hwmon2/in0_input': '12000\n',
    H + 'hwmon3/name': 'nvme\n',
    H + 'hwmon3/temp1_label': 'Composite\n', H + 'hwmon3/temp1_input': '38850\n', H + 'hwmon3/temp1_max': '82850\n', H + 'hwmon3/temp1_crit': '84850\n',
    H + 'hwmon3/temp2_label': 'Sensor 1\n', H + 'hwmon3/temp2_input': '38850\n',
    # A sensor with no reading (-273.15 °C): left out.
    H + 'hwmon3/temp3_label': 'Sensor 2\n', H + 'hwmon3/temp3_input': '-273150\n',
    H + 'hwmon10/name': 'iwlwifi_1\n', H + 'hwmon10/temp1_input': '41000\n',
    T + 'thermal_zone0/type': 'acpitz\n', T + 'thermal_zone0/temp': '45000\n',
    T + 'thermal_zone1/type': 'x86_pkg_temp\n', T + 'thermal_zone1/temp': '52000\n',
    T + 'thermal_zone2/type': 'pch_skylake\n', T + 'thermal_zone2/temp': '48500\n',
    T + 'thermal_zone2/trip_point_0_type': 'critical\n', T + 'thermal_zone2/trip_point_0_temp': '115000\n',
    T + 'thermal_zone2/trip_point_1_type': 'hot\n', T + 'thermal_zone2/trip_point_1_temp': '100000\n',
    T + 'thermal_zone2/trip_point_2_type': 'passive\n', T + 'thermal_zone2/trip_point_2_temp': '95000\n',
    PS + 'AC/type': 'Mains\n', PS + 'AC/online': '0\n',
    PS + 'BAT0/type': 'Battery\n', PS + 'BAT0/present': '1\n', PS + 'BAT0/status': 'Discharging\n', PS + 'BAT0/capacity': '87\n',
    PS + 'BAT0/power_now': '9876000\n', PS + 'BAT0/energy_now': '1\n', PS + 'BAT0/energy_full': '2\n',
    PS + 'BAT1/type': 'Battery\n', PS + 'BAT1/status': 'Charging\n', PS + 'BAT1/charge_now': '2000000\n', PS + 'BAT1/charge_full': '4000000\n',
    PS + 'BAT1/current_now': '-1500000\n', PS + 'BAT1/voltage_now': '12000000\n',
    # A wireless mouse's battery: not the system's.
    PS + 'hidpp_battery_0/type': 'Battery\n', PS + 'hidpp_battery_0/scope': 'Device\n', PS + 'hidpp_battery_0/capacity': '40\n',
    PS + 'hidpp_battery_0/status': 'Discharging\n',
})
tree('sensors-server', {
    H + 'hwmon0/name': 'coretemp\n',
    H + 'hwmon0/temp1_label': 'Package id 0\n', H + 'hwmon0/temp1_input': '61000\n', H + 'hwmon0/temp1_max': '89000\n', H + 'hwmon0/temp1_crit': '99000\n',
    H + 'hwmon0/temp2_label': 'Core 0\n', H + 'hwmon0/temp2_input': '58000\n',
    H + 'hwmon1/name': 'coretemp\n',
    H + 'hwmon1/temp1_label': 'Package id 1\n', H + 'hwmon1/temp1_input': '63000\n', H + 'hwmon1/temp1_max': '89000\n', H + 'hwmon1/temp1_crit': '99000\n',
    H + 'hwmon2/name': 'nvme\n', H + 'hwmon2/temp1_label': 'Composite\n', H + 'hwmon2/temp1_input': '44850\n',
    H + 'hwmon3/name': 'nvme\n', H + 'hwmon3/temp1_label': 'Composite\n', H + 'hwmon3/temp1_input': '46850\n',
    # An old kernel's layout: the attributes in device/.
    H + 'hwmon4/name': 'drivetemp\n', H + 'hwmon4/device/temp1_input': '35000\n', H + 'hwmon4/device/temp1_crit': '70000\n',
})
