import * as fs from 'node:fs';
import * as path from 'node:path';
import { ts } from '../typescript';

/** The runtime exports the analysis recognises. */
export type RuntimeName =
  | 'actor'
  | 'method'
  | 'perThread'
  | 'SharedCounter'
  | 'Mutex'
  | 'sharedArray'
  | 'SharedPrimitive'
  | 'ActorHandle'
  | 'spawn';

const runtimeNames = new Set<string>([
  'actor',
  'method',
  'perThread',
  'SharedCounter',
  'Mutex',
  'sharedArray',
  'SharedPrimitive',
  'ActorHandle',
  'spawn',
]);

/**
 * Tells which runtime export an expression refers to, by symbol rather than by spelling:
 * renamed imports (`import { actor as a }`), namespace imports (`troupe.actor`) and re-exports
 * through the user's own modules all resolve to the same export. Without a type checker (ts-jest
 * in isolated mode) it falls back to the file's own imports of the runtime module.
 */
export class RuntimeSymbols {
  private readonly packageNameByDir = new Map<string, string | undefined>();
  private resolvedDir: string | undefined | null = null;

  constructor(
    private readonly program: ts.Program | undefined,
    private readonly runtimeModule: string,
  ) {
    this.checker = program?.getTypeChecker();
  }

  private readonly checker: ts.TypeChecker | undefined;

  resolve(expression: ts.Expression): RuntimeName | undefined {
    const expr = skipOuter(expression);
    if (!this.checker) return this.resolveSyntactically(expr);
    let node: ts.Node | undefined;
    if (ts.isIdentifier(expr)) node = expr;
    else if (ts.isPropertyAccessExpression(expr)) node = expr.name;
    if (!node) return undefined;
    const symbol = this.checker.getSymbolAtLocation(node);
    const found = symbol && this.fromSymbol(symbol);
    if (found) return found;
    // `ns.actor` where the runtime module is not resolved: read the namespace import.
    if (ts.isPropertyAccessExpression(expr) && runtimeNames.has(expr.name.text)) {
      const left = this.checker.getSymbolAtLocation(expr.expression);
      const decl = left?.declarations?.[0];
      if (decl && ts.isNamespaceImport(decl) && this.isRuntimeSpecifier(decl.parent.parent)) {
        return expr.name.text as RuntimeName;
      }
    }
    return undefined;
  }

  /** Whether a symbol (a type's or a value's) is one of the runtime's exports. */
  fromSymbol(start: ts.Symbol): RuntimeName | undefined {
    const checker = this.checker;
    let symbol: ts.Symbol | undefined = start;
    for (let hops = 0; symbol && hops < 16; hops++) {
      const decl = symbol.declarations?.[0];
      if (!decl) return undefined;
      if (ts.isImportSpecifier(decl) || ts.isExportSpecifier(decl)) {
        const specifierHost = ts.isImportSpecifier(decl)
          ? decl.parent.parent.parent
          : decl.parent.parent;
        const name = (decl.propertyName ?? decl.name).text;
        if (this.isRuntimeSpecifier(specifierHost) && runtimeNames.has(name)) {
          return name as RuntimeName;
        }
      }
      if (!(symbol.flags & ts.SymbolFlags.Alias)) {
        if (runtimeNames.has(symbol.name) && this.isRuntimeFile(decl.getSourceFile().fileName)) {
          return symbol.name as RuntimeName;
        }
        return undefined;
      }
      symbol = checker?.getImmediateAliasedSymbol(symbol);
    }
    return undefined;
  }

  private isRuntimeSpecifier(node: ts.Node): boolean {
    const specifier =
      ts.isImportDeclaration(node) || ts.isExportDeclaration(node)
        ? node.moduleSpecifier
        : undefined;
    return !!specifier && ts.isStringLiteral(specifier) && specifier.text === this.runtimeModule;
  }

  private resolveSyntactically(expr: ts.Expression): RuntimeName | undefined {
    const sourceFile = expr.getSourceFile();
    const named = new Map<string, string>();
    const namespaces = new Set<string>();
    for (const statement of sourceFile.statements) {
      if (!ts.isImportDeclaration(statement) || !this.isRuntimeSpecifier(statement)) continue;
      const bindings = statement.importClause?.namedBindings;
      if (!bindings) continue;
      if (ts.isNamespaceImport(bindings)) namespaces.add(bindings.name.text);
      else {
        for (const element of bindings.elements) {
          named.set(element.name.text, (element.propertyName ?? element.name).text);
        }
      }
    }
    let name: string | undefined;
    if (ts.isIdentifier(expr)) name = named.get(expr.text);
    else if (
      ts.isPropertyAccessExpression(expr) &&
      ts.isIdentifier(expr.expression) &&
      namespaces.has(expr.expression.text)
    ) {
      name = expr.name.text;
    }
    return name && runtimeNames.has(name) ? (name as RuntimeName) : undefined;
  }

  /**
   * A file belongs to the runtime when its nearest package.json names the runtime module, or when
   * it lies beside (or below) the file the program resolves the runtime module to (`paths`).
   */
  private isRuntimeFile(fileName: string): boolean {
    if (this.packageNameOf(path.dirname(fileName)) === this.runtimeModule) return true;
    const dir = this.runtimeDir();
    return !!dir && fileName.startsWith(`${dir}/`);
  }

  private runtimeDir(): string | undefined {
    if (this.resolvedDir !== null) return this.resolvedDir;
    this.resolvedDir = undefined;
    const from = this.program?.getRootFileNames()[0];
    if (from && this.program) {
      const { resolvedModule } = ts.resolveModuleName(
        this.runtimeModule,
        from,
        this.program.getCompilerOptions(),
        ts.sys,
      );
      if (resolvedModule) this.resolvedDir = path.dirname(resolvedModule.resolvedFileName);
    }
    return this.resolvedDir;
  }

  private packageNameOf(dir: string): string | undefined {
    if (this.packageNameByDir.has(dir)) return this.packageNameByDir.get(dir);
    let name: string | undefined;
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        name = JSON.parse(fs.readFileSync(manifest, 'utf8')).name;
      } catch {
        name = undefined;
      }
    } else {
      const parent = path.dirname(dir);
      name = parent === dir ? undefined : this.packageNameOf(parent);
    }
    this.packageNameByDir.set(dir, name);
    return name;
  }
}

/** Strips parentheses, type assertions and non-null assertions. */
export function skipOuter(expression: ts.Expression): ts.Expression {
  let expr = expression;
  for (;;) {
    if (
      ts.isParenthesizedExpression(expr) ||
      ts.isNonNullExpression(expr) ||
      ts.isAsExpression(expr) ||
      ts.isSatisfiesExpression(expr) ||
      ts.isTypeAssertionExpression(expr)
    ) {
      expr = expr.expression;
    } else {
      return expr;
    }
  }
}
