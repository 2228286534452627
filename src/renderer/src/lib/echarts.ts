/**
 * A tree-shaken ECharts (bar + scatter, grid, tooltip, markLine, label layout, SVG renderer) and a composable that
 * owns one chart per component: created on mount, resized with its box, disposed on unmount, and
 * re-rendered when the options or the theme change. Colours come from the theme's CSS variables.
 */
import { BarChart, ScatterChart } from 'echarts/charts';
import { GridComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { LabelLayout } from 'echarts/features';
import { SVGRenderer } from 'echarts/renderers';
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue';

echarts.use([BarChart, ScatterChart, GridComponent, TooltipComponent, MarkLineComponent, LabelLayout, SVGRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

export interface ThemeColors {
  fg: string;
  muted: string;
  border: string;
  accent: string;
  danger: string;
  warn: string;
}

function themeColors(): ThemeColors {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return {
    fg: v('--fg', '#e6e9ee'),
    muted: v('--fg-muted', '#9aa4b2'),
    border: v('--border', '#2c343f'),
    accent: v('--accent', '#4ea1ff'),
    danger: v('--danger', '#ff6b6b'),
    warn: v('--warn', '#f5c04a'),
  };
}

export function useChart(
  el: Ref<HTMLElement | null>,
  build: (c: ThemeColors) => ChartOption,
  deps: () => unknown,
): void {
  let chart: echarts.ECharts | null = null;
  let observer: ResizeObserver | null = null;
  const render = (): void => {
    chart?.setOption(build(themeColors()), { notMerge: true });
  };
  onMounted(() => {
    if (!el.value) return;
    chart = echarts.init(el.value, undefined, { renderer: 'svg' });
    render();
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(() => chart?.resize());
      observer.observe(el.value);
    }
  });
  // The theme switch changes data-theme on <html>; the colours are re-read on the next render.
  const themeObserver = typeof MutationObserver !== 'undefined' ? new MutationObserver(render) : null;
  themeObserver?.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  watch(deps, render, { deep: true });
  onBeforeUnmount(() => {
    themeObserver?.disconnect();
    observer?.disconnect();
    chart?.dispose();
    chart = null;
  });
}
