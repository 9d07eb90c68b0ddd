/*
 * test_fixtures.c — the collectors on recorded /proc, /sys and rootfs trees
 * (tests/data/collect/): normal ones, many CPUs, odd and missing files.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/collect.h"
#include "testutil.h"

static char g_dir[2048];

static const char *tree(const char *name, const char *sub)
{
    static char paths[3][4096];
    static int next;
    char *p = paths[next++ % 3];
    snprintf(p, 4096, "%.2047s/tests/data/collect/%.64s/%.16s", g_dir, name, sub);
    return p;
}

/* Registers the collectors for tree `name`, scrapes once, parses. */
static void scrape(const char *name, collect_config *cfg, tu_expo *out)
{
    cfg->procfs = tree(name, "proc");
    cfg->sysfs = tree(name, "sys");
    cfg->rootfs = tree(name, "root");
    if (!cfg->enabled)
        cfg->enabled = COLLECT_DEFAULT & ~(unsigned)COLLECT_NVML;
    heron_registry *reg;
    heron_err err = {0};
    assert_int_equal(heron_registry_new(&reg, &err), 0);
    collect_set *set = NULL;
    assert_int_equal(collect_register_all(reg, cfg, &set, &err), 0);
    char *text;
    size_t len;
    assert_int_equal(heron_registry_expose(reg, HERON_FORMAT_TEXT, &text, &len, &err), 0);
    assert_int_equal(tu_parse(text, out), 0);
    free(text);
    collect_free(set);
    heron_registry_free(reg);
}

static void assert_value(const tu_expo *e, const char *name, const char *labels,
                         double want)
{
    const tu_sample *s = tu_sample_find(e, name, labels);
    if (!s)
        fail_msg("missing %s{%s}", name, labels);
    if (fabs(s->value - want) > 1e-9 * fmax(1, fabs(want)))
        fail_msg("%s{%s} = %.17g, want %.17g", name, labels, s->value, want);
}

static void assert_absent(const tu_expo *e, const char *name, const char *labels)
{
    if (tu_sample_find(e, name, labels))
        fail_msg("unexpected %s{%s}", name, labels);
}

static void assert_type(const tu_expo *e, const char *family, const char *type)
{
    const tu_family *f = tu_family_find(e, family);
    if (!f)
        fail_msg("missing family %s", family);
    assert_string_equal(f->type, type);
}

static size_t count_samples(const tu_expo *e, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < e->nsamples; i++)
        n += strcmp(e->samples[i].name, name) == 0;
    return n;
}

static double hz(void) { return (double)sysconf(_SC_CLK_TCK); }

static void test_cpu_and_stat(void **state)
{
    (void)state;
    tu_expo e;
    scrape("basic", &(collect_config){.enabled = COLLECT_CPU}, &e);
    assert_type(&e, "node_cpu_seconds_total", "counter");
    assert_type(&e, "node_boot_time_seconds", "gauge");
    assert_value(&e, "node_cpu_seconds_total", "cpu=\"0\",mode=\"user\"", 1832 / hz());
    assert_value(&e, "node_cpu_seconds_total", "cpu=\"0\",mode=\"nice\"", 10 / hz());
    assert_value(&e, "node_cpu_seconds_total", "cpu=\"1\",mode=\"steal\"", 99 / hz());
    assert_value(&e, "node_cpu_seconds_total", "cpu=\"1\",mode=\"iowait\"", 855 / hz());
    assert_value(&e, "node_cpu_guest_seconds_total", "cpu=\"0\",mode=\"user\"", 5 / hz());
    assert_value(&e, "node_cpu_guest_seconds_total", "cpu=\"0\",mode=\"nice\"", 1 / hz());
    assert_int_equal(count_samples(&e, "node_cpu_seconds_total"), 16);
    assert_value(&e, "node_boot_time_seconds", "", 1795347409);
    assert_value(&e, "node_context_switches_total", "", 281066);
    assert_value(&e, "node_forks_total", "", 5432);
    assert_value(&e, "node_intr_total", "", 137063);
    assert_value(&e, "node_procs_running", "", 3);
    assert_value(&e, "node_procs_blocked", "", 1);
    assert_value(&e, "node_scrape_collector_success", "collector=\"cpu\"", 1);
    tu_expo_free(&e);
}

static void test_many_cpus(void **state)
{
    (void)state;
    tu_expo e;
    scrape("many-cpus", &(collect_config){.enabled = COLLECT_CPU}, &e);
    assert_int_equal(count_samples(&e, "node_cpu_seconds_total"), 256 * 8);
    assert_value(&e, "node_cpu_seconds_total", "cpu=\"255\",mode=\"user\"", 265 / hz());
    assert_value(&e, "node_cpu_seconds_total", "cpu=\"128\",mode=\"idle\"", 100 / hz());
    assert_value(&e, "node_boot_time_seconds", "", 1700000000);
    assert_absent(&e, "node_procs_running", "");
    tu_expo_free(&e);
}

static void test_loadavg_meminfo_pressure(void **state)
{
    (void)state;
    tu_expo e;
    scrape("basic", &(collect_config){.enabled = COLLECT_LOADAVG | COLLECT_MEMINFO |
                                                 COLLECT_PRESSURE}, &e);
    assert_value(&e, "node_load1", "", 0.49);
    assert_value(&e, "node_load5", "", 0.16);
    assert_value(&e, "node_load15", "", 0.06);
    assert_type(&e, "node_memory_MemTotal_bytes", "gauge");
    assert_value(&e, "node_memory_MemTotal_bytes", "", 24684084.0 * 1024);
    assert_value(&e, "node_memory_Active_anon_bytes", "", 10240.0 * 1024);
    assert_value(&e, "node_memory_Inactive_file_bytes", "", 20480.0 * 1024);
    assert_value(&e, "node_memory_HugePages_Total", "", 4);
    assert_value(&e, "node_memory_Hugepagesize_bytes", "", 2048.0 * 1024);
    assert_type(&e, "node_pressure_cpu_waiting_seconds_total", "counter");
    assert_value(&e, "node_pressure_cpu_waiting_seconds_total", "", 5.216299);
    assert_value(&e, "node_pressure_io_waiting_seconds_total", "", 8.030224);
    assert_value(&e, "node_pressure_io_stalled_seconds_total", "", 7.84205);
    assert_value(&e, "node_pressure_memory_waiting_seconds_total", "", 1.5);
    assert_value(&e, "node_pressure_memory_stalled_seconds_total", "", 0.5);
    assert_null(tu_family_find(&e, "node_pressure_cpu_stalled_seconds_total"));
    tu_expo_free(&e);
}

#define FS(dev, type, mp) "device=\"" dev "\",fstype=\"" type "\",mountpoint=\"" mp "\""

static void test_filesystem(void **state)
{
    (void)state;
    tu_expo e;
    scrape("basic", &(collect_config){.enabled = COLLECT_FILESYSTEM}, &e);
    /* /proc, /run and cgroup2 are excluded; the duplicate / counts once */
    assert_int_equal(count_samples(&e, "node_filesystem_device_error"), 5);
    assert_value(&e, "node_filesystem_device_error", FS("/dev/vda", "ext4", "/"), 0);
    assert_value(&e, "node_filesystem_readonly", FS("/dev/vda", "ext4", "/"), 0);
    assert_value(&e, "node_filesystem_readonly", FS("/dev/sdb1", "xfs", "/data/my disk"), 1);
    assert_value(&e, "node_filesystem_device_error", FS("/dev/sdb1", "xfs", "/data/my disk"), 0);
    const tu_sample *size = tu_sample_find(&e, "node_filesystem_size_bytes",
                                           FS("/dev/sdb1", "xfs", "/data/my disk"));
    assert_non_null(size);
    assert_true(size->value > 0);
    /* statfs of a mount point that does not exist under rootfs fails */
    assert_value(&e, "node_filesystem_device_error", FS("/dev/sdc1", "ext4", "/missing"), 1);
    assert_absent(&e, "node_filesystem_size_bytes", FS("/dev/sdc1", "ext4", "/missing"));
    assert_value(&e, "node_filesystem_device_error", FS("server:/export", "nfs4", "/nfs"), 0);
    assert_value(&e, "node_filesystem_device_error", FS("//server/share", "cifs", "/smb"), 0);
    tu_expo_free(&e);
}

static void test_filesystem_exclude_flags(void **state)
{
    (void)state;
    tu_expo e;
    scrape("basic", &(collect_config){.enabled = COLLECT_FILESYSTEM,
                                      .fs_mount_points_exclude = "^/(data|missing)",
                                      .fs_types_exclude = "^(nfs4|cifs|proc|tmpfs|cgroup2)$"},
           &e);
    assert_int_equal(count_samples(&e, "node_filesystem_device_error"), 1);
    assert_value(&e, "node_filesystem_readonly", FS("/dev/vda", "ext4", "/"), 0);
    tu_expo_free(&e);

    heron_registry *reg;
    heron_err err = {0};
    collect_set *set = NULL;
    assert_int_equal(heron_registry_new(&reg, &err), 0);
    assert_int_equal(collect_register_all(reg, &(collect_config){.netdev_device_exclude = "(["},
                                          &set, &err),
                     HERON_EINVAL);
    assert_non_null(strstr(err.msg, "collector.netdev.device-exclude"));
    assert_null(set);
    heron_registry_free(reg);
}

static void test_diskstats(void **state)
{
    (void)state;
    tu_expo e;
    scrape("basic", &(collect_config){.enabled = COLLECT_DISKSTATS}, &e);
    assert_type(&e, "node_disk_reads_completed_total", "counter");
    assert_type(&e, "node_disk_io_now", "gauge");
    assert_value(&e, "node_disk_reads_completed_total", "device=\"sda\"", 32612);
    assert_value(&e, "node_disk_read_bytes_total", "device=\"sda\"", 2269082.0 * 512);
    assert_value(&e, "node_disk_read_time_seconds_total", "device=\"sda\"", 20.768);
    assert_value(&e, "node_disk_written_bytes_total", "device=\"sda\"", 1141440.0 * 512);
    assert_value(&e, "node_disk_io_now", "device=\"sda\"", 2);
    assert_value(&e, "node_disk_io_time_seconds_total", "device=\"sda\"", 11.144);
    assert_value(&e, "node_disk_discards_completed_total", "device=\"sda\"", 4196);
    assert_value(&e, "node_disk_flush_requests_total", "device=\"sda\"", 947);
    assert_value(&e, "node_disk_flush_requests_time_seconds_total", "device=\"sda\"", 0.046);
    /* 11 statistics only: no discard or flush series for it */
    assert_value(&e, "node_disk_writes_completed_total", "device=\"nvme0n1\"", 20);
    assert_absent(&e, "node_disk_discards_completed_total", "device=\"nvme0n1\"");
    assert_value(&e, "node_disk_reads_completed_total", "device=\"cciss!c0d0\"", 5);
    assert_absent(&e, "node_disk_reads_completed_total", "device=\"sda1\"");
    assert_absent(&e, "node_disk_reads_completed_total", "device=\"loop0\"");
    assert_absent(&e, "node_disk_reads_completed_total", "device=\"nvme0n1p1\"");
    assert_value(&e, "node_disk_info",
                 "device=\"sda\",major=\"8\",minor=\"0\",model=\"QEMU HARDDISK\","
                 "path=\"pci-0000:00:01.1-ata-1\",revision=\"2.5+\",serial=\"QM00001\",wwn=\"\"",
                 1);
    assert_value(&e, "node_disk_info",
                 "device=\"nvme0n1\",major=\"259\",minor=\"0\",model=\"\",path=\"\","
                 "revision=\"\",serial=\"\",wwn=\"\"",
                 1);
    tu_expo_free(&e);
}

static void test_netdev(void **state)
{
    (void)state;
    tu_expo e;
    scrape("basic", &(collect_config){.enabled = COLLECT_NETDEV}, &e);
    assert_type(&e, "node_network_receive_bytes_total", "counter");
    assert_value(&e, "node_network_receive_bytes_total", "device=\"eth0\"", 123456789012.0);
    assert_value(&e, "node_network_receive_packets_total", "device=\"eth0\"", 1019);
    assert_value(&e, "node_network_receive_errs_total", "device=\"eth0\"", 1);
    assert_value(&e, "node_network_receive_drop_total", "device=\"eth0\"", 2);
    assert_value(&e, "node_network_receive_multicast_total", "device=\"eth0\"", 6);
    assert_value(&e, "node_network_transmit_bytes_total", "device=\"eth0\"", 50379);
    assert_value(&e, "node_network_transmit_colls_total", "device=\"eth0\"", 10);
    assert_value(&e, "node_network_transmit_compressed_total", "device=\"eth0\"", 12);
    assert_value(&e, "node_network_receive_bytes_total", "device=\"br-1a2b\"", 0);
    assert_absent(&e, "node_network_receive_bytes_total", "device=\"lo\"");
    tu_expo_free(&e);
}

static void test_os_and_time(void **state)
{
    (void)state;
    tu_expo e;
    scrape("basic", &(collect_config){.enabled = COLLECT_UNAME | COLLECT_TIME}, &e);
    assert_value(&e, "node_os_info",
                 "build_id=\"a\\\"b\",id=\"debian\",id_like=\"rhel \\\"fedora\\\"\","
                 "image_id=\"\",image_version=\"\",name=\"Debian GNU/Linux\","
                 "pretty_name=\"Debian GNU/Linux 12 (bookworm)\",variant=\"\","
                 "variant_id=\"\",version=\"12 (bookworm)\",version_codename=\"\","
                 "version_id=\"12\"",
                 1);
    assert_value(&e, "node_os_version",
                 "id=\"debian\",id_like=\"rhel \\\"fedora\\\"\",name=\"Debian GNU/Linux\"", 12);
    assert_int_equal(count_samples(&e, "node_uname_info"), 1);
    assert_string_equal(tu_family_find(&e, "node_uname_info")->label_names,
                        "domainname,machine,nodename,release,sysname,version");
    assert_value(&e, "node_time_clocksource_available_info",
                 "clocksource=\"acpi_pm\",device=\"0\"", 1);
    assert_value(&e, "node_time_clocksource_current_info",
                 "clocksource=\"tsc\",device=\"0\"", 1);
    assert_int_equal(count_samples(&e, "node_time_clocksource_available_info"), 3);
    assert_int_equal(count_samples(&e, "node_time_seconds"), 1);
    tu_expo_free(&e);
}

static void test_cgroup(void **state)
{
    (void)state;
    tu_expo e;
    scrape("basic", &(collect_config){.enabled = COLLECT_CGROUP}, &e);
    assert_type(&e, "container_cpu_usage_seconds_total", "counter");
    assert_value(&e, "container_cpu_usage_seconds_total", "id=\"/\"", 491.925459);
    assert_value(&e, "container_cpu_usage_seconds_total", "id=\"/system.slice\"", 2);
    assert_value(&e, "container_cpu_user_seconds_total", "id=\"/system.slice\"", 1.5);
    assert_value(&e, "container_cpu_cfs_throttled_periods_total", "id=\"/system.slice\"", 2);
    assert_value(&e, "container_cpu_cfs_throttled_seconds_total", "id=\"/system.slice\"", 0.3);
    assert_value(&e, "container_memory_usage_bytes", "id=\"/system.slice\"", 104857600);
    assert_value(&e, "container_memory_working_set_bytes", "id=\"/system.slice\"",
                 104857600 - 10485760);
    assert_value(&e, "container_memory_rss", "id=\"/system.slice\"", 52428800);
    assert_value(&e, "container_memory_cache", "id=\"/system.slice\"", 41943040);
    assert_value(&e, "container_spec_memory_limit_bytes", "id=\"/system.slice\"", 0);
    assert_value(&e, "container_spec_memory_limit_bytes",
                 "id=\"/system.slice/docker-abc.scope\"", 536870912);
    /* inactive_file above usage: the working set floors at 0 */
    assert_value(&e, "container_memory_working_set_bytes",
                 "id=\"/system.slice/docker-abc.scope\"", 0);
    assert_absent(&e, "container_memory_usage_bytes", "id=\"/\"");
    tu_expo_free(&e);
}

static void test_processes(void **state)
{
    (void)state;
    const char *names[] = {"nginx", "my (odd) daemon", "python-training-loop", "absent"};
    const int pids[] = {4242, 99999};
    tu_expo e;
    scrape("basic", &(collect_config){.enabled = COLLECT_PROCESSES, .process_names = names,
                                      .process_name_count = 4, .process_pids = pids,
                                      .process_pid_count = 2},
           &e);
    assert_value(&e, "namedprocess_namegroup_num_procs", "groupname=\"nginx\"", 2);
    assert_value(&e, "namedprocess_namegroup_cpu_seconds_total",
                 "groupname=\"nginx\",mode=\"user\"", 400 / hz());
    assert_value(&e, "namedprocess_namegroup_cpu_seconds_total",
                 "groupname=\"nginx\",mode=\"system\"", 200 / hz());
    assert_value(&e, "namedprocess_namegroup_memory_bytes",
                 "groupname=\"nginx\",memtype=\"resident\"", 1024.0 * (double)sysconf(_SC_PAGESIZE));
    assert_value(&e, "namedprocess_namegroup_open_filedesc", "groupname=\"nginx\"", 8);
    assert_value(&e, "namedprocess_namegroup_num_threads", "groupname=\"nginx\"", 3);
    assert_value(&e, "namedprocess_namegroup_oldest_start_time_seconds", "groupname=\"nginx\"",
                 1795347409 + 500 / hz());
    assert_value(&e, "namedprocess_namegroup_num_procs", "groupname=\"my (odd) daemon\"", 1);
    assert_value(&e, "namedprocess_namegroup_num_procs", "groupname=\"python-training-loop\"", 1);
    assert_value(&e, "namedprocess_namegroup_num_threads", "groupname=\"python-training-loop\"", 8);
    assert_value(&e, "namedprocess_namegroup_num_procs", "groupname=\"absent\"", 0);
    assert_absent(&e, "namedprocess_namegroup_cpu_seconds_total",
                  "groupname=\"absent\",mode=\"user\"");
    assert_value(&e, "namedprocess_namegroup_num_procs", "groupname=\"4242\"", 1);
    assert_value(&e, "namedprocess_namegroup_cpu_seconds_total",
                 "groupname=\"4242\",mode=\"user\"", 150 / hz());
    assert_value(&e, "namedprocess_namegroup_num_procs", "groupname=\"99999\"", 0);
    tu_expo_free(&e);
}

static void test_odd_files(void **state)
{
    (void)state;
    tu_expo e;
    scrape("odd", &(collect_config){0}, &e);
    /* a malformed cpu line fails the /proc/stat parse as a whole */
    assert_null(tu_family_find(&e, "node_cpu_seconds_total"));
    assert_value(&e, "node_scrape_collector_success", "collector=\"cpu\"", 0);
    assert_null(tu_family_find(&e, "node_load1"));
    assert_value(&e, "node_scrape_collector_success", "collector=\"loadavg\"", 0);
    assert_value(&e, "node_memory_MemTotal_bytes", "", 1000.0 * 1024);
    assert_null(tu_family_find(&e, "node_memory_Weird-Key_bytes"));
    assert_value(&e, "node_network_receive_bytes_total", "device=\"eth1\"", 1);
    assert_absent(&e, "node_network_receive_bytes_total", "device=\"eth0\"");
    assert_value(&e, "node_scrape_collector_success", "collector=\"netdev\"", 0);
    assert_value(&e, "node_disk_reads_completed_total", "device=\"sdb\"", 1);
    assert_absent(&e, "node_disk_reads_completed_total", "device=\"sda\"");
    assert_value(&e, "node_scrape_collector_success", "collector=\"pressure\"", 0);
    assert_int_equal(count_samples(&e, "node_filesystem_device_error"), 0);
    tu_expo_free(&e);
}

static void test_missing_files(void **state)
{
    (void)state;
    tu_expo e;
    scrape("empty", &(collect_config){0}, &e);
    static const char *const file_based[] = {"cpu", "loadavg", "meminfo", "filesystem",
                                             "diskstats", "netdev", "os", "pressure",
                                             "cgroup"};
    for (size_t i = 0; i < sizeof file_based / sizeof *file_based; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "collector=\"%s\"", file_based[i]);
        assert_value(&e, "node_scrape_collector_success", labels, 0);
    }
    for (size_t i = 0; i < e.nfams; i++) {
        const char *n = e.fams[i].name;
        int allowed = strncmp(n, "node_scrape_collector_", 22) == 0 ||
                      strncmp(n, "node_time_", 10) == 0 || strcmp(n, "node_uname_info") == 0;
        if (!allowed)
            fail_msg("family %s from an empty tree", n);
    }
    tu_expo_free(&e);
}

int main(void)
{
    const char *src = getenv("HERON_SOURCE_DIR");
    snprintf(g_dir, sizeof g_dir, "%s", src ? src : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_and_stat),
        cmocka_unit_test(test_many_cpus),
        cmocka_unit_test(test_loadavg_meminfo_pressure),
        cmocka_unit_test(test_filesystem),
        cmocka_unit_test(test_filesystem_exclude_flags),
        cmocka_unit_test(test_diskstats),
        cmocka_unit_test(test_netdev),
        cmocka_unit_test(test_os_and_time),
        cmocka_unit_test(test_cgroup),
        cmocka_unit_test(test_processes),
        cmocka_unit_test(test_odd_files),
        cmocka_unit_test(test_missing_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
