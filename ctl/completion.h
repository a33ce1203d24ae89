/* The shell completion of acmectl, made from its own tables: the verbs
 * (verbtab.h), certonly's options (issue_opts[]) and each verb's getopt
 * table. The build runs `acmectl --completion bash|zsh` and installs what
 * it prints, so the completion cannot fall out of step with acmectl. */
#pragma once

/* Print the completion script for SHELL ("bash" or "zsh") on stdout.
 * EXIT_OK, or EXIT_USAGE (said) for another shell. */
int completion_print(const char *shell);
