// The workbench's editor: CodeMirror 6 with YAML highlighting, lint markers, completion and
// hover, each answered by the page's callbacks (which ask the server). Built into one file
// by `npm run build` (see README.md beside package.json).
import { basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { EditorView, hoverTooltip, keymap } from "@codemirror/view";
import { yaml } from "@codemirror/lang-yaml";
import { linter, lintGutter, forceLinting, forEachDiagnostic } from "@codemirror/lint";
import { autocompletion } from "@codemirror/autocomplete";
import { indentWithTab } from "@codemirror/commands";

// A name being typed: starts with a letter (Chinese included) or _, never a number alone.
const NAME_BEFORE = /[\p{L}_][\p{L}\p{N}_.]*$/u;

function state(doc, options) {
  const extensions = [
    basicSetup,
    keymap.of([indentWithTab]),
    yaml(),
    EditorView.lineWrapping,
    lintGutter(),
    linter((view) => options.lint(view.state.doc.toString()), { delay: options.delay ?? 300 }),
    autocompletion({
      override: [
        async (context) => {
          const word = context.matchBefore(NAME_BEFORE);
          if (!context.explicit && (!word || word.from === word.to)) return null;
          const options_ = await options.complete(context.state.doc.toString(), context.pos);
          if (!options_ || !options_.length) return null;
          return { from: word ? word.from : context.pos, options: options_ };
        },
      ],
    }),
    hoverTooltip(async (view, pos) => {
      const text = await options.hover(view.state.doc.toString(), pos);
      if (!text) return null;
      return {
        pos,
        above: true,
        create() {
          const dom = document.createElement("div");
          dom.className = "kh-hover";
          dom.textContent = text;
          return { dom };
        },
      };
    }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) options.changed(update.state.doc.toString());
    }),
  ];
  if (options.readOnly) extensions.push(EditorState.readOnly.of(true));
  return EditorState.create({ doc, extensions });
}

export function create(parent, doc, options) {
  return new EditorView({ parent, state: state(doc, options) });
}

export function reset(view, doc, options) {
  view.setState(state(doc, options));
}

export function goTo(view, line) {
  const target = view.state.doc.line(Math.max(1, Math.min(line, view.state.doc.lines)));
  view.dispatch({
    selection: { anchor: target.from },
    effects: EditorView.scrollIntoView(target.from, { y: "center" }),
  });
  view.focus();
}

export function relint(view) {
  forceLinting(view);
}

// The lint markers the editor shows, by line: [{line, severity, message}] (for the page's
// tests and for debugging from the console).
export function markers(dom) {
  const view = EditorView.findFromDOM(dom);
  const found = [];
  if (!view) return found;
  forEachDiagnostic(view.state, (diagnostic, from) => {
    const line = view.state.doc.lineAt(from).number;
    found.push({ line, severity: diagnostic.severity, message: diagnostic.message });
  });
  return found;
}

// The document the editor holds (for the page's tests).
export function text(dom) {
  const view = EditorView.findFromDOM(dom);
  return view ? view.state.doc.toString() : null;
}
