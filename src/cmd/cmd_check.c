/*
 * cmd_check.c — `heron check <what> FILE...`, like promtool check.
 *
 *   heron check config prometheus.yml...
 *
 * validates each config (schema, values, relabel rules), the files it
 * names (TLS and credential files must exist; file_sd files that exist
 * must parse, missing ones are a warning as in promtool) and its rule
 * files (each must exist and be YAML with a `groups` list; full rule
 * validation is `heron check rules`' job). Output follows promtool's: the
 * SUCCESS lines on stdout, FAILED lines on stderr. Exit status 0 when all
 * files are valid, 1 when one is not, 2 on a usage error.
 *
 * Subcommands are rows of the table at the bottom.
 */
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "cmd/commands.h"
#include "core/err.h"
#include "scrape/config.h"

/* Counts the rules of a rule file: YAML whose root mapping has a `groups`
 * list of mappings, each with an optional `rules` list. */
static int count_rules(const char *path, size_t *nrules, heron_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return err_set(err, HERON_EIO, "open %s: %m", path);
    yaml_parser_t p;
    yaml_document_t doc;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    int ok = yaml_parser_load(&p, &doc);
    fclose(f);
    if (!ok) {
        int rc = err_set(err, HERON_EINVAL, "%s:%zu: yaml: %s", path,
                         p.problem_mark.line + 1, p.problem ? p.problem : "malformed");
        yaml_parser_delete(&p);
        return rc;
    }
    yaml_parser_delete(&p);
    int rc = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *groups = NULL;
    if (root && root->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
             pr < root->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
            if (k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, "groups") == 0)
                groups = yaml_document_get_node(&doc, pr->value);
        }
    *nrules = 0;
    if (groups == NULL || groups->type != YAML_SEQUENCE_NODE) {
        rc = err_set(err, HERON_EINVAL, "%s: not a rule file: no `groups` list", path);
    } else {
        for (yaml_node_item_t *it = groups->data.sequence.items.start;
             rc == 0 && it < groups->data.sequence.items.top; it++) {
            yaml_node_t *g = yaml_document_get_node(&doc, *it);
            if (g->type != YAML_MAPPING_NODE) {
                rc = err_set(err, HERON_EINVAL, "%s:%zu: a group must be a mapping", path,
                             g->start_mark.line + 1);
                break;
            }
            for (yaml_node_pair_t *pr = g->data.mapping.pairs.start;
                 pr < g->data.mapping.pairs.top; pr++) {
                yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
                yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
                if (k->type == YAML_SCALAR_NODE &&
                    strcmp((char *)k->data.scalar.value, "rules") == 0 &&
                    v->type == YAML_SEQUENCE_NODE)
                    *nrules += (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
            }
        }
    }
    yaml_document_delete(&doc);
    return rc;
}

static int file_exists(const char *what, const char *path, heron_err *err)
{
    if (path == NULL || *path == '\0' || access(path, R_OK) == 0)
        return 0;
    return err_set(err, HERON_EINVAL, "error checking %s file \"%s\": %m", what, path);
}

static int check_http(const scrape_http_config *h, heron_err *err)
{
    int rc = file_exists("client CA", h->tls_config.ca_file, err);
    if (rc == 0)
        rc = file_exists("client cert", h->tls_config.cert_file, err);
    if (rc == 0)
        rc = file_exists("client key", h->tls_config.key_file, err);
    if (rc == 0)
        rc = file_exists("credentials", h->authorization.credentials_file, err);
    if (rc == 0)
        rc = file_exists("password", h->basic_auth.password_file, err);
    return rc;
}

/* The files a job names; file_sd files that match must parse. */
static int check_job_files(const scrape_job *j, heron_err *err)
{
    int rc = check_http(&j->http, err);
    for (size_t i = 0; rc == 0 && i < j->nfile_sd_configs; i++) {
        const scrape_file_sd_config *f = &j->file_sd_configs[i];
        for (size_t k = 0; rc == 0 && k < f->nfiles; k++) {
            glob_t g;
            if (glob(f->files[k], 0, NULL, &g) != 0 || g.gl_pathc == 0) {
                printf("  WARNING: file \"%s\" for file_sd in scrape job \"%s\" does not exist\n",
                       f->files[k], j->job_name);
                globfree(&g);
                continue;
            }
            for (size_t m = 0; rc == 0 && m < g.gl_pathc; m++) {
                scrape_static_config *groups;
                size_t n;
                rc = scrape_file_sd_read(g.gl_pathv[m], &groups, &n, err);
                if (rc == 0)
                    scrape_static_configs_free(groups, n);
            }
            globfree(&g);
        }
    }
    return rc;
}

static int check_one_config(const char *path)
{
    printf("Checking %s\n", path);
    scrape_config *c;
    heron_err err = {0};
    if (scrape_config_load(path, &c, &err) < 0) {
        fprintf(stderr, "  FAILED: parsing YAML file %s: %s\n\n", path, err.msg);
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->njobs; i++)
        rc = check_job_files(&c->jobs[i], &err);
    for (size_t i = 0; rc == 0 && i < c->alerting.nalertmanagers; i++)
        rc = check_http(&c->alerting.alertmanagers[i].http, &err);
    /* Rule files: every pattern's matches must be rule files. */
    size_t nfiles = 0;
    char **files = NULL;
    for (size_t i = 0; rc == 0 && i < c->nrule_files; i++) {
        glob_t g;
        int grc = glob(c->rule_files[i], 0, NULL, &g);
        if (grc == GLOB_NOMATCH && strpbrk(c->rule_files[i], "*?[") == NULL)
            rc = err_set(&err, HERON_EINVAL, "\"%s\" does not point to an existing file",
                         c->rule_files[i]);
        else if (grc != 0 && grc != GLOB_NOMATCH)
            rc = err_set(&err, HERON_EINVAL, "cannot expand rule file pattern \"%s\"",
                         c->rule_files[i]);
        for (size_t m = 0; rc == 0 && grc == 0 && m < g.gl_pathc; m++) {
            char **nf = realloc(files, (nfiles + 1) * sizeof *nf);
            if (nf == NULL || (nf[nfiles] = strdup(g.gl_pathv[m])) == NULL) {
                files = nf ? nf : files;
                rc = err_set(&err, HERON_ENOMEM, "out of memory");
                break;
            }
            files = nf;
            nfiles++;
        }
        if (grc == 0)
            globfree(&g);
    }
    if (rc < 0) {
        fprintf(stderr, "  FAILED: %s\n\n", err.msg);
    } else {
        if (nfiles > 0)
            printf("  SUCCESS: %zu rule files found\n", nfiles);
        printf(" SUCCESS: %s is valid prometheus config file syntax\n\n", path);
    }
    int failed = rc < 0;
    for (size_t i = 0; !failed && i < nfiles; i++) {
        size_t nrules = 0;
        printf("Checking %s\n", files[i]);
        if (count_rules(files[i], &nrules, &err) < 0) {
            fprintf(stderr, "  FAILED:\n%s\n\n", err.msg);
            failed = 1;
        } else {
            printf("  SUCCESS: %zu rules found\n\n", nrules);
        }
    }
    for (size_t i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
    scrape_config_free(c);
    return failed;
}

static int check_config(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: heron check config FILE...\n");
        return 2;
    }
    int failed = 0;
    for (int i = 0; i < argc; i++)
        failed |= check_one_config(argv[i]);
    return failed ? 1 : 0;
}

typedef struct check_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} check_command;

static const check_command checks[] = {
    {"config", check_config, "validate prometheus.yml files and the rule files they name"},
};

int cmd_check(int argc, char **argv)
{
    const size_t n = sizeof checks / sizeof *checks;
    if (argc >= 1)
        for (size_t i = 0; i < n; i++)
            if (strcmp(argv[0], checks[i].name) == 0)
                return checks[i].run(argc - 1, argv + 1);
    FILE *out = argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)
                    ? stdout
                    : stderr;
    fprintf(out, "usage: heron check <what> FILE...\n\n");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-8s %s\n", checks[i].name, checks[i].summary);
    return out == stdout ? 0 : 2;
}
