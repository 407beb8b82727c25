/*
 * cmd_fund.h -- `riskshare fund model FILE` (DESIGN 8, 9): loads a fund file, runs the
 * fund-of-funds model and prints it as tables, csv or json; optionally writes the J-curve
 * as SVG, a workbook with native Excel charts, and a sensitivity grid.
 * docs/fund-reference.md describes the file and every output.
 */
#ifndef CLI_CMD_FUND_H
#define CLI_CMD_FUND_H

/*
 * Runs `fund model FILE [--format table|csv|json] [--table NAME] [--xlsx FILE]
 * [--svg FILE] [--grid PARAM=V,V,... [PARAM=V,V,...]] [--quiet]`; argv holds the words
 * after `fund`.  Returns the process exit code: 0; 2 for bad arguments or grid values;
 * 65 for a bad fund file or an output file that cannot be written; 70 when memory runs out.
 */
int cli_cmd_fund(int argc, char **argv);

#endif
