# bash completion for passctl(1): commands, options, and device addresses, PFs, domain names
# and assignment ids asked of the daemon itself (passctl --json ..., 2 s at most).

# _passctl_query CMD: the --json answer of `passctl CMD`, over the connection options typed so far.
_passctl_query()
{
	passctl "${_passctl_conn[@]}" --json --timeout 2 "$@" 2>/dev/null
}

# _passctl_field NAME: every "NAME":"value" string of the JSON on stdin.
_passctl_field()
{
	grep -o "\"$1\": *\"[^\"]*\"" | sed -e 's/.*"\([^"]*\)"$/\1/' | sort -u
}

# _passctl_reply WORDS: COMPREPLY from WORDS for $cur, with ':' kept whole (PCI addresses).
_passctl_reply()
{
	local IFS=$'\n' w prefix
	COMPREPLY=($(compgen -W "${1// /$'\n'}" -- "$cur"))
	# Readline splits words at ':' (COMP_WORDBREAKS): drop what it already has.
	if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
		prefix=${cur%"${cur##*:}"}
		for w in "${!COMPREPLY[@]}"; do
			COMPREPLY[$w]=${COMPREPLY[$w]#"$prefix"}
		done
	fi
}

_passctl()
{
	local cur prev i w cmd= npos=0
	local -a words _passctl_conn=()
	words=("${COMP_WORDS[@]}")
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	# Readline split "0000:01:00.0" at the colons: put the words back together.
	if [[ $COMP_WORDBREAKS == *:* ]]; then
		local -a joined=()
		local j=-1 cw=0
		for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
			w=${COMP_WORDS[i]}
			if [[ $j -ge 0 && ( $w == : || ${joined[j]} == *: ) ]]; then
				joined[j]+=$w
			else
				joined[++j]=$w
			fi
			[[ $i -eq $COMP_CWORD ]] && cw=$j
		done
		words=("${joined[@]}")
		cur=${words[cw]}
		prev=${words[cw - 1]}
		COMP_CWORD_JOINED=$cw
	else
		COMP_CWORD_JOINED=$COMP_CWORD
	fi

	local global="--socket --url --token --json --timeout --help --version"
	local cmds="status devices groups show bind unbind assign release domains check sriov history events help"

	case $prev in
	--socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--url | --token | --timeout | --limit | --class | --driver | --group)
		return
		;;
	--state)
		_passctl_reply "host vfio assigned unbound quarantined gone"
		return
		;;
	esac

	for ((i = 1; i < COMP_CWORD_JOINED; i++)); do
		w=${words[i]}
		case $w in
		--socket | --url | --token)
			_passctl_conn+=("$w" "${words[i + 1]}")
			((i++))
			continue
			;;
		--timeout | --limit | --class | --driver | --group | --state)
			((i++))
			continue
			;;
		-*) continue ;;
		esac
		if [[ -z $cmd ]]; then cmd=$w; else ((npos++)); fi
	done

	if [[ $cur == -* ]]; then
		local opts=$global
		case $cmd in
		devices) opts+=" --class --driver --group --state" ;;
		bind | unbind | release | sriov) opts+=" --dry-run" ;;
		assign) opts+=" --start --paused --dry-run --force" ;;
		history) opts+=" --limit" ;;
		esac
		_passctl_reply "$opts"
		return
	fi
	if [[ -z $cmd ]]; then
		_passctl_reply "$cmds"
		return
	fi
	case $cmd,$npos in
	show,0 | bind,0 | unbind,0 | assign,0)
		_passctl_reply "$(_passctl_query devices | _passctl_field address)"
		;;
	assign,1)
		_passctl_reply "$(_passctl_query domains | _passctl_field name)"
		;;
	release,0)
		_passctl_reply "$(_passctl_query devices --state assigned | _passctl_field address)"
		;;
	sriov,0)
		# PFs only when jq can tell them apart; else every device.
		if type jq >/dev/null 2>&1; then
			_passctl_reply "$(_passctl_query devices |
				jq -r '.devices[] | select(.sriov != null and .sriov.total_vfs > 0) | .address' 2>/dev/null)"
		else
			_passctl_reply "$(_passctl_query devices | _passctl_field address)"
		fi
		;;
	help,0)
		_passctl_reply "$cmds"
		;;
	esac
}
complete -F _passctl passctl
