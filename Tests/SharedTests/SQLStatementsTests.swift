import Testing
@testable import Shared

@Suite struct SQLStatementsTests {
    @Test func splitsOnTerminatingSemicolons() {
        #expect(SQLStatements.split("CREATE TABLE a (x int);\nCREATE INDEX i ON a (x);") == [
            "CREATE TABLE a (x int)", "CREATE INDEX i ON a (x)",
        ])
    }

    @Test func keepsSemicolonsInsideQuotesCommentsAndDollarBodies() {
        let script = """
            -- a comment; with a semicolon
            INSERT INTO t VALUES ('a;b', 'it''s;');
            /* block; comment */ SELECT "odd;name" FROM t;
            CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;
            DO $$ BEGIN PERFORM 1; END $$;
            SELECT $1::int;
            -- trailing comment only
            """
        let statements = SQLStatements.split(script)
        #expect(statements.count == 5)
        #expect(statements[0].hasSuffix("VALUES ('a;b', 'it''s;')"))
        #expect(statements[1] == "/* block; comment */ SELECT \"odd;name\" FROM t")
        #expect(statements[2].hasSuffix("$body$ LANGUAGE plpgsql"))
        #expect(statements[3] == "DO $$ BEGIN PERFORM 1; END $$")
        #expect(statements[4] == "SELECT $1::int")
    }

    @Test func ignoresEmptyStatements() {
        #expect(SQLStatements.split(" ; ;\n-- nothing\n") == [])
    }
}
