let total = 0; // expect TROUPE102

export function bump(): number {
  total += 1;
  return total;
}
