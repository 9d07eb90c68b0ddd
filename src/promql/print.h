/*
 * print — pieces of the one-line printer that the pretty printer reuses;
 * internal to src/promql.
 */
#ifndef HERON_PROMQL_PRINT_H
#define HERON_PROMQL_PRINT_H

#include "promql/promql.h"

/* Whether lhs is the number +Inf as the base of `^`. Prometheus prints it
 * "+Inf", which reads back as a unary plus over the whole power and grows
 * a "+" at every round trip; heron prints "Inf" there. */
int promql_print_is_inf_base(const promql_node *binary);

/* What stands between the operands of a binary expression:
 * "op[ bool][ on|ignoring (...)[ group_left|group_right (...)]]". */
int promql_print_operator(const promql_node *binary, buf *out);

#endif
