/* cmd.h — the subcommands of the berth binary. Each returns the process exit status. */
#ifndef BERTH_CMD_H
#define BERTH_CMD_H

#define BERTH_VERSION "0.1.0"

int cmd_server(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_kubeconfig(int argc, char **argv);
int cmd_version(int argc, char **argv);
/* The default data directory (caller owns the string). */
char *default_data_dir(void);
/* The default node name: the host name if it is a valid DNS-1123 subdomain. */
char *default_node_name(void);

#endif
