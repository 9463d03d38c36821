// Which SKILL.md files a shell command names. Codex has no Skill tool: the
// model uses a skill by reading its SKILL.md through the shell (`cat …`,
// `sed -n '1,200p' …`), so the PreToolUse hook looks for such paths in the
// command. Pure text: the hook resolves each path and asks the pull manifest
// whether it is a pulled install (a local skill's file never arms).

/**
 * Every path ending in `/SKILL.md` in `command`, in order, each once: quoted
 * ('…' or "…", spaces allowed) or a bare word. `~`, relative and absolute
 * paths are returned as written.
 */
export function skillFilesInCommand(command: string): string[] {
  const found: string[] = [];
  const add = (path: string) => {
    if (!found.includes(path)) found.push(path);
  };
  // Quoted first; their text is then blanked so the bare-word pass does not see it again.
  const rest = command.replace(/(["'])([^"'\n]*\/SKILL\.md)\1/g, (_m, _q: string, path: string) => {
    add(path);
    return ' ';
  });
  for (const m of rest.matchAll(/(?<![^\s=(;&|<>])([^\s"'`;&|<>()]*\/SKILL\.md)(?![^\s;&|<>)])/g)) add(m[1]!);
  return found;
}
