# completion/: bash completion for passctl. bash-completion loads completions/NAME on demand.
bashcompletiondir = $(datadir)/bash-completion/completions
bashcompletion_DATA = completion/passctl
CLEANFILES += completion/passctl
EXTRA_DIST += completion/passctl.bash
completion/passctl: $(top_srcdir)/completion/passctl.bash
	$(AM_V_GEN)$(MKDIR_P) completion && cp $< $@
