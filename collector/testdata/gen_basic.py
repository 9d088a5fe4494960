# Generates testdata/basic: two steps of a canned host, 2 s apart. Run: python3 testdata/gen_basic.py
import os, shutil
base = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'basic')
shutil.rmtree(base, ignore_errors=True)

def w(step, path, content):
    p = os.path.join(base, step, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, 'w') as f:
        f.write(content)

common = {
 'proc/sys/kernel/hostname': 'fixture-host\n',
 'proc/sys/kernel/osrelease': '6.1.0-21-amd64\n',
 'proc/sys/kernel/arch': 'x86_64\n',
 'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n',
 'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n# comment\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\ntoor:x:0:0:dup root:/root:/bin/sh\n',
 'proc/1/mountinfo': '''22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
28 27 8:1 /var/lib/docker /srv/bind rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
29 27 8:16 / /data\\040disk ro,relatime shared:2 - xfs /dev/sdb ro,attr2
30 27 0:25 / /run rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,size=1000k
31 27 0:40 / /mnt/nfs rw,relatime shared:6 - nfs4 server:/export rw,vers=4.2
32 27 8:32 / /srv/secret rw,relatime shared:7 - ext4 /dev/sdc rw
''',
 'sys/class/block/sda/dev': '8:0\n',
 'sys/class/block/sda1/dev': '8:1\n',
 'sys/class/block/sda1/partition': '1\n',
 'sys/class/block/sdb/dev': '8:16\n',
 'sys/class/block/sdc/dev': '8:32\n',
 'sys/class/block/loop1/dev': '7:1\n',
 'sys/class/net/lo/operstate': 'unknown\n',
 'sys/class/net/lo/carrier': '1\n',
 'sys/class/net/eth0/operstate': 'up\n',
 'sys/class/net/eth0/carrier': '1\n',
 'sys/class/net/eth1/operstate': 'down\n',
 'proc/net/route': 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n'
   'eth1\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n'
   'eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n'
   'eth0\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n',
}

steps = {
 'step0': {
  'proc/stat': '''cpu  1000 100 500 8000 200 50 50 100 0 0
cpu0 500 50 250 4000 100 25 25 50 0 0
cpu1 500 50 250 4000 100 25 25 50 0 0
intr 123456 0 0
ctxt 987654
btime 1700000000
processes 5000
procs_running 2
procs_blocked 0
softirq 1000 0 0
''',
  'proc/meminfo': 'MemTotal:        8000000 kB\nMemFree:         2000000 kB\nMemAvailable:    5000000 kB\nBuffers:          100000 kB\nCached:          2500000 kB\nSwapCached:            0 kB\nShmem:             10000 kB\nSReclaimable:     200000 kB\nSwapTotal:       1000000 kB\nSwapFree:         750000 kB\nHugePages_Total:       0\n',
  'proc/vmstat': 'nr_free_pages 500000\npswpin 100\npswpout 200\npgfault 12345\n',
  'proc/loadavg': '0.50 1.25 2.00 3/250 4321\n',
  'proc/uptime': '1000.55 1800.10\n',
  'proc/diskstats': '''   8       0 sda 1000 10 20000 500 2000 20 40000 1000 0 1500 1600 0 0 0 0 0 0
   8       1 sda1 900 5 18000 450 1800 10 36000 900 0 1400 1500 0 0 0 0 0 0
   8      16 sdb 100 0 800 10 0 0 0 0 0 10 10
   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       1 loop1 50 0 400 5 0 0 0 0 0 5 5 0 0 0 0 0 0
   1       0 ram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
''',
  'proc/net/dev': '''Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 1000000    1000    1    2    0     0          0         0   500000     800    0    1    0     0       0          0
  eth1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
''',
 },
 'step1': {
  'proc/stat': '''cpu  1600 100 700 9000 300 100 100 100 0 0
cpu0 900 50 350 4400 200 25 25 50 0 0
cpu1 700 50 350 4600 100 75 75 50 0 0
intr 123999 0 0
ctxt 988000
btime 1700000000
processes 5010
procs_running 1
procs_blocked 0
softirq 1100 0 0
''',
  'proc/meminfo': 'MemTotal:        8000000 kB\nMemFree:         2000000 kB\nMemAvailable:    5000000 kB\nBuffers:          100000 kB\nCached:          2500000 kB\nSwapCached:            0 kB\nShmem:             10000 kB\nSReclaimable:     200000 kB\nSwapTotal:       1000000 kB\nSwapFree:         750000 kB\nHugePages_Total:       0\n',
  'proc/vmstat': 'nr_free_pages 500000\npswpin 150\npswpout 300\npgfault 12399\n',
  'proc/loadavg': '1.00 0.75 0.25 2/251 4322\n',
  'proc/uptime': '1002.55 1803.10\n',
  'proc/diskstats': '''   8       0 sda 1200 10 24096 600 2100 20 42048 1100 0 2500 2700 0 0 0 0 0 0
   8       1 sda1 1000 5 20048 500 1850 10 37024 950 0 1900 2000 0 0 0 0 0 0
   8      16 sdb 100 0 800 10 0 0 0 0 0 3010 3010
   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       1 loop1 50 0 400 5 0 0 0 0 0 5 5 0 0 0 0 0 0
   1       0 ram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
''',
  'proc/net/dev': '''Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3000      30    0    0    0     0          0         0     3000      30    0    0    0     0       0          0
  eth0: 3000000    3000    3    6    0     0          0         0  1500000    2400    0    3    0     0       0          0
  eth1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
''',
 },
}

def stat(pid, comm, state, ppid, utime, stime, nice, threads, start, vsize, rss):
    # fields 1..52 as in proc(5)
    f = [str(pid), '(' + comm + ')', state, str(ppid), str(pid), str(pid), '0', '-1', '4194560',
         '100', '0', '0', '0', str(utime), str(stime), '0', '0', '20', str(nice), str(threads), '0',
         str(start), str(vsize), str(rss), '18446744073709551615'] + ['0'] * 27
    return ' '.join(f) + '\n'

def status(name, state, pid, ppid, uid, threads):
    return (f'Name:\t{name}\nUmask:\t0022\nState:\t{state} (sleeping)\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\n'
            f'PPid:\t{ppid}\nTracerPid:\t0\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t{uid}\t{uid}\t{uid}\t{uid}\n'
            f'FDSize:\t64\nVmRSS:\t 100 kB\nThreads:\t{threads}\n')

# pid: (step -> (comm, state, ppid, utime, stime, nice, threads, start, vsize, rss, uid, cmdline))
procs = {
 1: {'step0': ('systemd', 'S', 0, 100, 50, 0, 1, 1, 100000000, 2000, 0, '/sbin/init\0splash\0'),
     # cmdline changed on disk but comm did not: the cached cmdline must be kept
     'step1': ('systemd', 'S', 0, 120, 60, 0, 1, 1, 100000000, 2000, 0, '/changed/not/reread\0')},
 2: {s: ('kthreadd', 'S', 0, 0, 3, 0, 1, 2, 0, 0, 0, '') for s in ('step0', 'step1')},
 42: {'step0': ('my (weird) proc', 'R', 1, 1000, 0, -5, 4, 5000, 200000000, 10000, 1000, 'python3\0-c\0print(1)\0'),
      'step1': ('my (weird) proc', 'R', 1, 1200, 0, -5, 4, 5000, 200000000, 10000, 1000, 'python3\0-c\0print(1)\0')},
 100: {'step0': ('bash', 'S', 42, 7, 3, 19, 1, 6000, 10000000, 500, 1001, 'bash\0'),
       'step1': ('worker', 'S', 42, 7, 3, 19, 1, 6000, 20000000, 600, 1001, 'worker\0--fast\0')},
 500: {'step0': ('old', 'S', 1, 400, 100, 0, 1, 3000, 1000000, 100, 1, 'old\0'),
       'step1': ('new', 'D', 1, 30, 10, 0, 2, 9000, 1000000, 100, 1, 'new\0--x\0')},
 2000: {'step1': ('late', 'Z', 1, 8, 2, 0, 1, 9100, 0, 0, 1000, '')},
 3000: {'step0': ('gone', 'S', 1, 1, 1, 0, 1, 4000, 1000, 10, 0, 'gone\0')},
}
for pid, by in procs.items():
    for step, v in by.items():
        comm, state, ppid, ut, st, nice, thr, start, vsz, rss, uid, cmd = v
        steps[step][f'proc/{pid}/stat'] = stat(pid, comm, state, ppid, ut, st, nice, thr, start, vsz, rss)
        steps[step][f'proc/{pid}/status'] = status(comm, state, pid, ppid, uid, thr)
        steps[step][f'proc/{pid}/cmdline'] = cmd
# 777 exits between listing and reading: only a file we never read is left.
steps['step1']['proc/777/comm'] = 'ghost\n'

for step, files in steps.items():
    for k, v in {**common, **files}.items():
        w(step, k, v)
