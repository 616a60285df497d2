/** Every public export carries JSDoc with an @example (the style guide's rule, kept by a test). */
import path from "node:path";
import ts from "typescript";

it("every export of src/index.ts has a JSDoc @example", () => {
  const entry = path.join(__dirname, "../src/index.ts");
  const program = ts.createProgram([entry], { strict: true, lib: ["lib.es2022.d.ts"], types: [] });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const exports = checker.getExportsOfModule(moduleSymbol);
  expect(exports.length).toBeGreaterThan(8);
  const undocumented = exports.filter((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    return !(symbol.declarations ?? []).some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === "example"));
  });
  expect(undocumented.map((s) => s.name)).toEqual([]);
});
